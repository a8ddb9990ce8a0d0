// What report generation reads, behind one interface: AnalyticsReportDataSource (the analytics
// figures, so a report agrees with the dashboard over the same range), bound in reports.module.ts;
// ReportDataRepository reads the lead, touch and ad_costs tables directly (detail rows, and the
// templates the rollup cannot answer).

import type { ResolvedRange } from '../../analytics/time/date-range';
import type { FunnelStageResult } from '../../analytics/compute/funnel';
import type { ReportDimension, ReportFilters } from '../templates/report-config';

export const REPORT_DATA_SOURCE = Symbol('REPORT_DATA_SOURCE');

export interface ReportQuery {
  readonly subAccountId: number;
  readonly range: ResolvedRange;
  readonly filters: ReportFilters;
}

export interface ReportTotals {
  /** Leads created before the end of the range (the stock at its end). */
  readonly totalLeads: number;
  /** Leads created in the range. */
  readonly newLeads: number;
  readonly convertedLeads: number;
  readonly lostLeads: number;
  /** Ad spend on the range's local days, decimal string; null when none is known. */
  readonly spend: string | null;
  readonly currency: string | null;
}

export interface BreakdownRow {
  /** One key per grouped dimension, in the template's order. */
  readonly keys: readonly string[];
  /** Display labels of the keys (a campaign's name, …). */
  readonly labels: readonly string[];
  readonly newLeads: number;
  readonly convertedLeads: number;
  readonly lostLeads: number;
  /** Spend for source and campaign groupings; null where spend cannot be attributed. */
  readonly spend: string | null;
}

/** One lead of the period, as the Excel file lists it. */
export interface LeadReportRow {
  readonly id: string;
  readonly createdAt: Date;
  readonly fullName: string | null;
  readonly email: string | null;
  readonly phone: string | null;
  readonly status: string;
  readonly platform: string | null;
  readonly integrationId: number | null;
  readonly campaignId: string | null;
  readonly campaignName: string | null;
  readonly cost: string | null;
  readonly currency: string | null;
}

/** One agent's figures over the period, as GET /api/analytics/team answers them. */
export interface AgentFigures {
  readonly userId: string;
  readonly userName: string | null;
  readonly leadsAssigned: number;
  readonly callsMade: number;
  readonly callsAnswered: number;
  readonly leadsConverted: number;
  /** leadsConverted / leadsAssigned, 0 when none assigned. */
  readonly conversionRate: number;
}

/** Where the next page of lead rows starts (keyset: creation instant, then id). */
export interface LeadCursor {
  readonly createdAt: Date;
  readonly id: string;
}

export interface ReportDataSource {
  /** The sub-account's IANA time zone (every report period is its local calendar). */
  timezoneOf(subAccountId: number): Promise<string>;
  totals(query: ReportQuery): Promise<ReportTotals>;
  breakdown(query: ReportQuery, dimensions: readonly ReportDimension[]): Promise<BreakdownRow[]>;
  countLeads(query: ReportQuery): Promise<number>;
  /** Up to `limit` leads after `after`, in (createdAt, id) order. */
  leadPage(query: ReportQuery, after: LeadCursor | null, limit: number): Promise<LeadReportRow[]>;
  /** The funnel of the period's leads as the funnel endpoint gives it; null (or absent) when unknown. */
  funnel?(query: ReportQuery): Promise<FunnelStageResult[] | null>;
  /** Per-agent figures as the team endpoint gives them; null (or absent) when the filters are more than it takes. */
  team?(query: ReportQuery): Promise<AgentFigures[] | null>;
}
