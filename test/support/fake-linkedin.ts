// A fake LinkedIn Lead Sync API (versions, projections, finders) for specs and e2e tests.
import type { FakeReply, FakeRequest, FakeServer } from './fake-server';

/**
 * LinkedIn's Lead Sync API as its documentation describes it, for handler specs and e2e tests:
 * - every call needs `LinkedIn-Version: YYYYMM`; a version older than a year (or one LinkedIn never
 *   released, 202512) answers 426 `{"status":426,"code":"NONEXISTENT_VERSION","message":"Requested
 *   version … is not active"}` (learn.microsoft.com/linkedin/marketing/versioning; the body as
 *   LinkedIn sends it, quoted in many public bug reports);
 * - field projections: a lead form response carries `form`, `ownerInfo`, `leadMetadataInfo` and
 *   `associatedEntityInfo` only when `fields=` asks for them;
 * - finders use Rest.li 2.0 syntax (`owner=(sponsoredAccount:urn%3Ali%3AsponsoredAccount%3A1)`),
 *   page with start/count, and filter responses by `submittedAtTimeRange=(start:…,end:…)`;
 * - a token without a role on the owner gets 403.
 * The clock is injected: "older than a year" is measured from `today`.
 */
export interface FakeLinkedInOptions {
  today: Date;
  token: string;
  /** Owner ids by type that the token may read. */
  owners: { sponsoredAccount?: string[]; organization?: string[] };
  /** Form versions by `${formId},${versionId}`; the highest version is the current form. */
  forms?: Record<string, Record<string, unknown>>;
  /** Stored responses (full shape, as if every field were projected). */
  responses?: Array<Record<string, unknown>>;
}

const UNRELEASED = new Set(['202512']);
const DECORATIONS = ['form', 'ownerInfo', 'leadMetadataInfo', 'associatedEntityInfo'];

function versionError(req: FakeRequest, today: Date): FakeReply | undefined {
  const version = String(req.headers['linkedin-version'] ?? '');
  const match = /^(\d{4})(0[1-9]|1[0-2])$/.exec(version);
  if (!match)
    return { status: 400, body: { status: 400, code: 'VERSION_MISSING', message: 'A version must be present' } };
  const age = today.getUTCFullYear() * 12 + today.getUTCMonth() - (Number(match[1]) * 12 + Number(match[2]) - 1);
  if (age > 12 || age < 0 || UNRELEASED.has(version))
    return {
      status: 426,
      body: { status: 426, code: 'NONEXISTENT_VERSION', message: `Requested version ${version} is not active` },
    };
  return undefined;
}

/** `(sponsoredAccount:urn:li:sponsoredAccount:123)` (decoded by the query parser) → its type and id. */
function ownerOf(req: FakeRequest): { type: string; id: string } | undefined {
  const match = /^\((sponsoredAccount|organization):urn:li:(sponsoredAccount|organization):(\d+)\)$/.exec(
    req.query.get('owner') ?? '',
  );
  // the URN itself must arrive encoded once, as Rest.li 2.0 requires
  if (!match || match[1] !== match[2] || !req.url.includes(`urn%3Ali%3A${match[1]}%3A${match[3]}`)) return undefined;
  return { type: match[1], id: match[3] };
}

function project(response: Record<string, unknown>, req: FakeRequest, forms: FakeLinkedInOptions['forms']) {
  const fields = req.query.get('fields') ?? '';
  const out: Record<string, unknown> = { ...response };
  for (const decoration of DECORATIONS) delete out[decoration];
  if (fields.includes('form:(')) {
    const version = /leadGenForm:(\d+),(\d+)\)/.exec(
      typeof response.versionedLeadGenFormUrn === 'string' ? response.versionedLeadGenFormUrn : '',
    );
    const form = version ? forms?.[`${version[1]},${version[2]}`] : undefined;
    if (form) out.form = form;
  }
  for (const decoration of DECORATIONS.slice(1))
    if (fields.split(',').includes(decoration) && response[decoration] !== undefined)
      out[decoration] = response[decoration];
  return out;
}

export function installFakeLinkedIn(server: FakeServer, options: FakeLinkedInOptions): void {
  const guard =
    (handler: (req: FakeRequest) => FakeReply) =>
    (req: FakeRequest): FakeReply => {
      if (req.headers.authorization !== `Bearer ${options.token}`)
        return {
          status: 401,
          body: { status: 401, serviceErrorCode: 65600, code: 'INVALID_ACCESS_TOKEN', message: 'Invalid access token' },
        };
      return versionError(req, options.today) ?? handler(req);
    };
  const allowed = (owner: { type: string; id: string } | undefined) =>
    owner !== undefined && (options.owners[owner.type as keyof FakeLinkedInOptions['owners']] ?? []).includes(owner.id);
  const forbidden: FakeReply = {
    status: 403,
    body: { status: 403, code: 'ACCESS_DENIED', message: 'Not enough permissions to access: leadForms' },
  };

  server.on(
    'GET',
    '/rest/leadForms',
    guard((req) => {
      const owner = ownerOf(req);
      if (req.query.get('q') !== 'owner' || !owner)
        return { status: 400, body: { status: 400, message: 'Invalid finder' } };
      if (!allowed(owner)) return forbidden;
      const elements = Object.values(options.forms ?? {}).filter((f) => {
        const o = f.owner as Record<string, string> | undefined;
        return o?.[owner.type] === `urn:li:${owner.type}:${owner.id}`;
      });
      const count = Number(req.query.get('count') ?? 10);
      return {
        status: 200,
        body: { elements: elements.slice(0, count), paging: { start: 0, count, total: elements.length } },
      };
    }),
  );
  server.on(
    'GET',
    /^\/rest\/leadForms\/\d+$/,
    guard((req) => {
      const id = req.path.split('/').pop();
      const versions = Object.entries(options.forms ?? {}).filter(([key]) => key.startsWith(`${id},`));
      versions.sort(([a], [b]) => Number(b.split(',')[1]) - Number(a.split(',')[1]));
      return versions[0]
        ? { status: 200, body: versions[0][1] }
        : { status: 404, body: { status: 404, message: 'Not Found' } };
    }),
  );
  server.on(
    'GET',
    /^\/rest\/leadFormResponses\/[^/]+$/,
    guard((req) => {
      const id = decodeURIComponent(req.path.split('/').pop() ?? '');
      const response = (options.responses ?? []).find((r) => r.id === id);
      return response
        ? { status: 200, body: project(response, req, options.forms) }
        : { status: 404, body: { status: 404, message: 'Not Found' } };
    }),
  );
  server.on(
    'GET',
    '/rest/leadFormResponses',
    guard((req) => {
      const owner = ownerOf(req);
      const leadType = /^\(leadType:([A-Z_]+)\)$/.exec(req.query.get('leadType') ?? '')?.[1];
      const range = /^\(start:(\d+),end:(\d+)\)$/.exec(req.query.get('submittedAtTimeRange') ?? '');
      if (req.query.get('q') !== 'owner' || !owner || !leadType || !range)
        return { status: 400, body: { status: 400, message: 'Invalid finder parameters' } };
      if (!allowed(owner)) return forbidden;
      const [start, count] = [Number(req.query.get('start') ?? 0), Number(req.query.get('count') ?? 10)];
      const matching = (options.responses ?? []).filter((r) => {
        const o = r.owner as Record<string, string> | undefined;
        const at = Number(r.submittedAt);
        return (
          o?.[owner.type] === `urn:li:${owner.type}:${owner.id}` &&
          r.leadType === leadType &&
          at >= Number(range[1]) &&
          at < Number(range[2])
        );
      });
      return {
        status: 200,
        body: {
          elements: matching.slice(start, start + count).map((r) => project(r, req, options.forms)),
          paging: { start, count, total: matching.length },
        },
      };
    }),
  );
}
