/**
 * The LinkedIn Lead Sync API for one integration: versioned calls (linkedin-version.ts), Rest.li 2.0
 * query syntax, and the errors that mean "fix the integration" rather than "retry".
 * Calls and parameters follow LinkedIn's official Lead Sync Postman collection (converted in
 * api-evangelist/linkedin openapi/_original/linkedin-marketing-leads.yml @ 0931ee86) and
 * learn.microsoft.com/linkedin/marketing/lead-sync/leadsync.
 */
import { OutboundError, OutboundResponse } from '../../common/outbound/http-client';
import { HandlerContext, IntegrationConfig, IntegrationSetupError, PermanentEventError } from '../integration-handler';
import {
  asNumber,
  asRecords,
  asString,
  bodyKind,
  configString,
  isRecord,
  JsonRecord,
  optionalConfigString,
} from '../shared/json';
import { redactSecrets } from '../shared/redact-secrets';
import {
  defaultLinkedInVersions,
  LINKEDIN_VERSION_SUPPORT_MONTHS,
  linkedInVersionAgeMonths,
  linkedInVersionFor,
} from './linkedin-version';

/**
 * The projection of a lead form response that returns what a default answer leaves out: the
 * `*Info` decorations (owner, creative, campaign names), and the form the lead answered with its
 * hidden fields (UTM values), consents and questions (Postman collection, requests 8 and 9).
 */
export const LEAD_RESPONSE_FIELDS =
  'ownerInfo,associatedEntityInfo,leadMetadataInfo,owner,leadType,versionedLeadGenFormUrn,id,submittedAt,testLead,formResponse,form:(hiddenFields,creationLocale,name,id,content)';

export type LinkedInOwnerType = 'sponsoredAccount' | 'organization';
export const OWNER_TYPES: readonly LinkedInOwnerType[] = ['sponsoredAccount', 'organization'];

/** Lead types per owner (leadsync page): ad leads belong to ad accounts, organic ones to organizations. */
export const LEAD_TYPES: Readonly<Record<LinkedInOwnerType, readonly string[]>> = {
  sponsoredAccount: ['SPONSORED'],
  organization: ['COMPANY', 'EVENT', 'ORGANIZATION_PRODUCT'],
};

/** `(sponsoredAccount:urn%3Ali%3AsponsoredAccount%3A123)`: Rest.li 2.0 keeps the parentheses and colon, encodes the URN. */
export function ownerParam(type: LinkedInOwnerType, id: string): string {
  return `(${type}:${encodeURIComponent(`urn:li:${type}:${id}`)})`;
}

export interface ResponsesPage {
  elements: JsonRecord[];
  total?: number;
}

const OWNER_URN = /^urn:li:(organization|sponsoredAccount):([0-9]{1,20})$/;

/**
 * The owner an `organizationId` names: its digits, or a URN as LinkedIn writes owners
 * (`urn:li:organization:2414183`, `urn:li:sponsoredAccount:507404993`, the notification's `owner`),
 * which also says its kind. Anything else is returned as given (the schema refuses it).
 */
export function linkedInOwner(organizationId: string): { id: string; type?: LinkedInOwnerType } {
  const urn = OWNER_URN.exec(organizationId);
  if (!urn) return { id: organizationId };
  return { id: urn[2], type: urn[1] === 'organization' ? 'organization' : 'sponsoredAccount' };
}

export class LinkedInApi {
  private constructor(private readonly ctx: HandlerContext) {}

  static fromContext(ctx: HandlerContext): LinkedInApi {
    return new LinkedInApi(ctx);
  }

  get ownerId(): string {
    return linkedInOwner(configString(this.ctx.config, 'organizationId')).id;
  }

  /** `ownerType` when set; otherwise the kind an organizationId written as a URN names. */
  get configuredOwnerType(): LinkedInOwnerType | undefined {
    const value = optionalConfigString(this.ctx.config, 'ownerType');
    const configured = OWNER_TYPES.find((t) => t === value);
    const organizationId = optionalConfigString(this.ctx.config, 'organizationId');
    return configured ?? (organizationId === undefined ? undefined : linkedInOwner(organizationId).type);
  }

  /**
   * The connection test and the owner detection in one call the lead-sync token may make
   * (r_marketing_leadgen_automation): the owner's lead forms. The organization lookup needs
   * rw_organization_admin, and an ad account id is not an organization, so neither proves lead access.
   */
  async probeLeadAccess(): Promise<{ ownerType: LinkedInOwnerType; forms: number }> {
    const types = this.configuredOwnerType ? [this.configuredOwnerType] : OWNER_TYPES;
    let refusal: OutboundError | undefined;
    for (const ownerType of types) {
      try {
        const res = await this.get(`/rest/leadForms?q=owner&owner=${ownerParam(ownerType, this.ownerId)}&count=1`);
        const body = isRecord(res.body) ? res.body : {};
        const paging = isRecord(body.paging) ? body.paging : {};
        return { ownerType, forms: asNumber(paging.total) ?? asRecords(body.elements).length };
      } catch (err) {
        // not this kind of owner (or no role on it): try the other kind before giving up
        if (!(err instanceof OutboundError) || (err.kind !== 'auth' && err.kind !== 'client')) throw err;
        refusal ??= err;
      }
    }
    throw refusal ?? new OutboundError('client', 'no LinkedIn owner type to try');
  }

  leadFormResponse(id: string): Promise<OutboundResponse> {
    return this.get(`/rest/leadFormResponses/${encodeURIComponent(id)}?fields=${LEAD_RESPONSE_FIELDS}`);
  }

  leadForm(formId: string): Promise<OutboundResponse> {
    return this.get(`/rest/leadForms/${encodeURIComponent(formId)}`);
  }

  /** One page of an owner's responses submitted in [startMs, endMs) (Postman request 8, "periodic pulls"). */
  async leadFormResponses(query: {
    ownerType: LinkedInOwnerType;
    leadType: string;
    startMs: number;
    endMs: number;
    start: number;
    count: number;
  }): Promise<ResponsesPage> {
    const res = await this.get(
      `/rest/leadFormResponses?q=owner&owner=${ownerParam(query.ownerType, this.ownerId)}` +
        `&leadType=(leadType:${query.leadType})&limitedToTestLeads=false` +
        `&submittedAtTimeRange=(start:${query.startMs},end:${query.endMs})` +
        `&fields=${LEAD_RESPONSE_FIELDS}&start=${query.start}&count=${query.count}`,
    );
    // a finder answers `{ elements: [...], paging }` (Rest.li 2.0 collections, learn.microsoft.com/
    // linkedin/shared/api-guide/concepts/pagination); a 200 without that list (an HTML page, an empty
    // body, `{}`) read nothing, and taken as an empty page the run ended "nothing new"
    const body = res.body;
    if (!isRecord(body) || !Array.isArray(body.elements))
      throw new OutboundError(
        'server',
        `LinkedIn answered the lead form responses with ${isRecord(body) ? 'a JSON object without elements' : bodyKind(body)} instead of a page`,
        res.status,
      );
    const paging = isRecord(body.paging) ? body.paging : {};
    return { elements: asRecords(body.elements), total: asNumber(paging.total) };
  }

  /**
   * A GET with the headers LinkedIn requires. The query is written into the URL as Rest.li 2.0
   * wants it (a URLSearchParams would encode its parentheses and re-encode the URNs).
   * An explicit apiVersion is sent as is; the derived default falls back one month when LinkedIn
   * answers 426 (a month it skipped). A 426 that remains is the integration's to fix.
   * Every LinkedIn read goes through here (the lead calls and linkedin-ad-spend.ts).
   */
  async get(pathAndQuery: string): Promise<OutboundResponse> {
    const explicit = optionalConfigString(this.ctx.config, 'apiVersion');
    const versions = explicit ? [explicit] : defaultLinkedInVersions(this.ctx.now());
    let last: OutboundError | undefined;
    for (const version of versions) {
      try {
        return await this.ctx.http.request({
          method: 'GET',
          url: `${this.ctx.urls.linkedinApi.replace(/\/+$/, '')}${pathAndQuery}`,
          headers: {
            Authorization: `Bearer ${configString(this.ctx.config, 'accessToken')}`,
            'LinkedIn-Version': version,
            'X-Restli-Protocol-Version': '2.0.0',
          },
        });
      } catch (err) {
        if (!(err instanceof OutboundError) || err.status !== 426) throw err;
        last = err;
      }
    }
    throw versionRefused(versions, explicit !== undefined, last, this.ctx.config, this.ctx.now());
  }
}

/**
 * What an admin sees when LinkedIn refused every version tried (426): which version, whether it is
 * sunset or not released yet, and the version to set instead (the derived default, which LinkedIn
 * serves unless it skipped that month). LinkedIn's own text is kept for support, without secrets.
 */
function versionRefused(
  versions: string[],
  explicit: boolean,
  err: OutboundError | undefined,
  config: IntegrationConfig,
  now: Date,
): IntegrationSetupError {
  const body = isRecord(err?.body) ? err.body : {};
  const said = redactSecrets(
    [asString(body.code), asString(body.message)].filter(Boolean).join(': ').slice(0, 300),
    config,
    LINKEDIN_SECRET_FIELDS,
  );
  const answer = `(HTTP 426${said ? ` ${said}` : ''})`;
  if (!explicit)
    return new IntegrationSetupError(
      `LinkedIn no longer serves API version ${versions.join(' or ')} ${answer}. Set apiVersion to a version LinkedIn lists as active (learn.microsoft.com/linkedin/marketing/versioning).`,
    );
  const [version] = versions;
  const age = linkedInVersionAgeMonths(version, now);
  const what =
    age !== undefined && age < 0
      ? `LinkedIn has not released API version ${version} yet ${answer}`
      : age !== undefined && age < LINKEDIN_VERSION_SUPPORT_MONTHS
        ? `LinkedIn does not serve API version ${version} ${answer}: a month it released no version for, or sunset early`
        : `LinkedIn no longer serves API version ${version} ${answer}: it is sunset (LinkedIn keeps a version about a year)`;
  return new IntegrationSetupError(
    `${what}. Set apiVersion to ${linkedInVersionFor(now)}, or clear it to follow LinkedIn's releases.`,
  );
}

/** The config fields that hold LinkedIn secrets: never in a message the hub stores or shows. */
export const LINKEDIN_SECRET_FIELDS: readonly string[] = ['accessToken', 'clientSecret'];

/**
 * The same error with every configured secret taken out of its message, for what the pipeline stores
 * (event lastError, sync run error, integration errorMessage). LinkedIn's error texts are quoted in
 * messages and may echo what the call carried; the outbound client takes the bearer token out, not the
 * client secret. The message is replaced in place so the error keeps its class, kind, status and cause,
 * which decide retries and reauthorization.
 */
export function withoutSecrets(err: unknown, config: IntegrationConfig): unknown {
  if (err instanceof Error) {
    const message = redactSecrets(err.message, config, LINKEDIN_SECRET_FIELDS);
    if (message !== err.message) err.message = message;
  }
  return err;
}

/**
 * For processing and syncs: a setup problem (426) and a refused token are the integration's to fix;
 * other 4xx fail the event for good; the rest (429, 5xx, timeouts) is retried.
 */
export function linkedInFailure(err: unknown, what: string): unknown {
  if (err instanceof IntegrationSetupError || !(err instanceof OutboundError)) return err;
  if (err.kind === 'auth') {
    return new IntegrationSetupError(
      `LinkedIn refused the access token reading ${what} (HTTP ${err.status ?? '?'}); reconnect with a token that has r_marketing_leadgen_automation`,
      { cause: err },
    );
  }
  if (err.kind === 'client')
    return new PermanentEventError(`LinkedIn could not return ${what} (HTTP ${err.status ?? '?'}): ${err.message}`);
  return err;
}
