import { pricingBucket } from './whatsapp-analytics.service';

describe('pricingBucket (byPricingCategory of GET /api/whatsapp/analytics)', () => {
  it.each([
    ['marketing', 'marketing'],
    ['marketing_lite', 'marketing'],
    ['utility', 'utility'],
    ['authentication', 'authentication'],
    ['authentication-international', 'authentication'],
    ['authentication_international', 'authentication'],
    ['service', 'service'],
    ['referral_conversion', null],
    ['something_new', null],
  ])('counts %s as %s', (category, bucket) => {
    expect(pricingBucket(category)).toBe(bucket);
  });
});
