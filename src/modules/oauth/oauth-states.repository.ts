import { Injectable } from '@nestjs/common';
import { Db, isForeignKeyViolation } from '../../database/db';
import type { OAuthState } from '../../generated/prisma/client';

const CONSUME = {
  name: 'oauth_state_consume',
  text: `DELETE FROM oauth_states WHERE id = $1
         RETURNING id, integration_id AS "integrationId", sub_account_id AS "subAccountId", provider,
                   redirect_uri AS "redirectUri", code_verifier AS "codeVerifier", login_config_id AS "loginConfigId",
                   created_by AS "createdBy",
                   expires_at AS "expiresAt", created_at AS "createdAt"`,
};

/** Connect flows in progress: written at start, consumed once by the callback. */
@Injectable()
export class OAuthStatesRepository {
  constructor(private readonly db: Db) {}

  /** False when the integration is gone (deleted since the caller read it): its foreign key refused the flow. */
  async create(state: Omit<OAuthState, 'createdAt'>, now: Date): Promise<boolean> {
    // expired flows nobody came back from are dropped on the way
    await this.db.prisma.oAuthState.deleteMany({ where: { expiresAt: { lt: now } } });
    try {
      await this.db.prisma.oAuthState.create({ data: state });
    } catch (err) {
      if (isForeignKeyViolation(err)) return false;
      throw err;
    }
    return true;
  }

  /** Deletes and returns the flow: a second callback with the same state finds nothing (single use). */
  async consume(id: string): Promise<OAuthState | null> {
    const rows = await this.db.sql<OAuthState & Record<string, unknown>>(CONSUME, [id]);
    return rows[0] ?? null;
  }
}
