/**
 * Incremental GoHighLevel contact sync: POST /contacts/search filtered on `dateUpdated` since the
 * previous run, oldest change first, paged by the search endpoint's keyset.
 */
import type { SyncPage } from '../handler-types';
import type { HandlerContext } from '../integration-handler';
import { isRecord, JsonRecord } from '../shared/json';
import { GhlApi, GhlSearchPage, GhlSearchPosition } from './ghl-api';
import { contactToLead } from './ghl-payloads';

/**
 * The search endpoint's largest page: "pageLimit … Results per page (max 500)" in GoHighLevel's
 * Contacts Search documentation (the guide the official spec links from POST /contacts/search; read
 * through a white-label copy, help.hoopai.com/api-reference/overview/contacts-search).
 */
export const GHL_SYNC_PAGE_LIMIT = 500;

/**
 * Sync cursor: where the run is (`searchAfter`, the search endpoint's keyset, or `page`), the
 * `since` of an incremental run and the latest `dateUpdated` seen so far. Between runs only
 * `{ since }` is kept: the next run asks only for contacts updated since.
 */
interface GhlSyncCursor {
  position: GhlSearchPosition;
  since?: string;
  maxSeen?: string;
}

function parseCursor(cursor: string | null): GhlSyncCursor {
  if (cursor === null) return { position: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    parsed = undefined;
  }
  if (!isRecord(parsed)) throw new Error('invalid GoHighLevel sync cursor');
  const since = typeof parsed.since === 'string' && !Number.isNaN(Date.parse(parsed.since)) ? parsed.since : undefined;
  const maxSeen = typeof parsed.maxSeen === 'string' ? parsed.maxSeen : undefined;
  let position: GhlSearchPosition = null;
  if (Array.isArray(parsed.searchAfter) && parsed.searchAfter.length > 0)
    position = { searchAfter: parsed.searchAfter };
  else if (typeof parsed.page === 'number' && Number.isInteger(parsed.page) && parsed.page > 1)
    position = { page: parsed.page };
  else if (since === undefined) throw new Error('invalid GoHighLevel sync cursor');
  return { position, ...(since ? { since } : {}), ...(maxSeen ? { maxSeen } : {}) };
}

/**
 * Prefers the keyset (`searchAfter` of the last contact: unlimited depth, stable while contacts
 * change); falls back to `meta.nextPage` when an answer carries no keyset (page mode stops at
 * 10,000 records). A short page ends the run.
 */
function nextPosition(page: GhlSearchPage): GhlSearchPosition {
  if (page.contacts.length < GHL_SYNC_PAGE_LIMIT) return null;
  const last = page.contacts[page.contacts.length - 1];
  if (Array.isArray(last.searchAfter) && last.searchAfter.length > 0) return { searchAfter: last.searchAfter };
  if (page.nextPage !== undefined && page.nextPage > 1) return { page: page.nextPage };
  return null;
}

/** The latest `dateUpdated` among the page's contacts and what the run saw before. */
function latestUpdate(contacts: readonly JsonRecord[], before: string | undefined): string | undefined {
  let latest = before;
  for (const contact of contacts) {
    const value = typeof contact.dateUpdated === 'string' ? contact.dateUpdated : undefined;
    if (value === undefined || Number.isNaN(Date.parse(value))) continue;
    if (latest === undefined || Date.parse(value) > Date.parse(latest)) latest = value;
  }
  return latest;
}

/** Contacts updated since the previous run (all of them the first time), oldest change first, page by page. */
export async function syncGhlContacts(ctx: HandlerContext, cursor: string | null): Promise<SyncPage> {
  const state = parseCursor(cursor);
  const page = await GhlApi.fromContext(ctx).searchContacts(GHL_SYNC_PAGE_LIMIT, state.position, state.since);
  const leads = page.contacts.map(contactToLead).filter((lead) => lead !== undefined);
  if (leads.length < page.contacts.length)
    ctx.logger.warn({ skipped: page.contacts.length - leads.length }, 'GoHighLevel contacts without an id skipped');
  const position = nextPosition(page);
  if (position === null && page.contacts.length === GHL_SYNC_PAGE_LIMIT) {
    ctx.logger.warn(
      { total: page.total },
      'GoHighLevel search gave a full page with neither searchAfter nor meta.nextPage; sync stopped',
    );
  }
  const maxSeen = latestUpdate(page.contacts, state.maxSeen);
  const common = { ...(state.since ? { since: state.since } : {}), ...(maxSeen ? { maxSeen } : {}) };
  const nextCursor = position === null ? null : JSON.stringify({ ...position, ...common });
  // the next run starts at the latest change seen, inclusive: a contact changed in the same instant is not lost
  const since = maxSeen ?? state.since;
  return {
    leads,
    fetched: page.contacts.length,
    nextCursor,
    ...(nextCursor === null ? { nextRunCursor: since ? JSON.stringify({ since }) : null } : {}),
  };
}
