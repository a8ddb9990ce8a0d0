// Shown to an admin connecting this provider (the seeded template's setupInstructions, Markdown).
// Field names are this handler's config schema; console paths only where the provider documents them.
export const LINKEDIN_LEAD_GEN_SETUP = [
  'Leads from LinkedIn Lead Gen Forms, pushed by Lead Sync notifications and read through the Lead Sync API.',
  '',
  '1. **Organization or ad account id** (`organizationId`): the digits of the sponsored ad account (ad leads) or of the organization (`2414183` from `urn:li:organization:2414183`); `ownerType` says which, or is found by the connection test.',
  '2. **Client id** and **Client secret** (`clientId`, `clientSecret`): the credentials of the LinkedIn app that has Lead Sync access, in the LinkedIn Developer Portal. LinkedIn signs notifications (`X-LI-Signature`) and the webhook challenge with the primary client secret. Left empty when connected with *Connect with LinkedIn*.',
  "3. **Access token** (`accessToken`): a member's token with `r_marketing_leadgen_automation`, `r_organization_admin` and `r_ads` (`r_ads_reporting` too for ad spend), or use *Connect with LinkedIn*.",
  "4. Save the integration, then run **Test connection**: it becomes active, and only an active integration answers the provider's verification request and receives deliveries.",
  "5. Lead Sync webhooks are not registered in the portal's UI: create a subscription with LinkedIn's Lead Notification Subscriptions API (`/rest/leadNotifications`) whose webhook is `<hub>/api/webhooks/linkedin-lead-gen` (`<hub>` is the start of this integration's `webhookUrl`) or this integration's `webhookUrl`. LinkedIn first validates the URL with a `challengeCode`, which the hub answers with the client secret of the app it is addressed to. The provider-level URL can answer for one LinkedIn app only (LinkedIn names the app, `applicationId`, only for parent-child apps): with your own LinkedIn app, use this integration's `webhookUrl`.",
  "6. Optional: `adAccountId` (daily spend with each sync), `lookbackDays`, and `apiVersion` (`YYYYMM`; empty follows LinkedIn's releases).",
].join('\n');
