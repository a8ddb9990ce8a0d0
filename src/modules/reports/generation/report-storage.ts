// Generated report files live on disk under REPORT_STORAGE_DIR (API.md "Reports", default
// `.data/reports`): `<sub-account>/<report id>-<random>.<ext>`, the relative path stored on the
// report row. Disk rather than the database: files of up to hundreds of MB stream to and from the
// file system without passing through PostgreSQL's 1 GB bytea limit or its memory, and the writers
// rename a finished file into place. Several API/worker processes must share the directory (a
// volume); the random part keeps a path unguessable even to someone who can list ids.

import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { APP_CONFIG, AppConfig } from '../../../config/app-config';
import type { ReportFormatName } from '../templates/report-config';

export const FILE_TYPES: Record<ReportFormatName, { extension: string; contentType: string }> = {
  PDF: { extension: 'pdf', contentType: 'application/pdf' },
  EXCEL: { extension: 'xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
};

@Injectable()
export class ReportStorage {
  private readonly root: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.root = resolve(config.reports.storageDir);
  }

  /** A new file's place: the relative path for the row, the absolute one to write (its folder exists). */
  async allocate(
    subAccountId: number,
    reportId: bigint,
    format: ReportFormatName,
  ): Promise<{ relativePath: string; absolutePath: string }> {
    const relativePath = join(
      String(subAccountId),
      `${reportId}-${randomBytes(8).toString('hex')}.${FILE_TYPES[format].extension}`,
    );
    const absolutePath = this.absolute(relativePath);
    await mkdir(resolve(absolutePath, '..'), { recursive: true });
    return { relativePath, absolutePath };
  }

  /** The absolute path of a stored relative path; never outside the storage directory. */
  absolute(relativePath: string): string {
    const full = resolve(this.root, relativePath);
    const inside = relative(this.root, full);
    if (inside.startsWith('..') || inside.startsWith(sep) || inside === '')
      throw new Error('report path outside storage');
    return full;
  }
}
