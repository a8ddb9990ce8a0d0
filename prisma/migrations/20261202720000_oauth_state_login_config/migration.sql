-- Issue 15: the Facebook Login for Business configuration a connect flow opened Meta's dialog with
-- (META_WHATSAPP_CONFIG_ID for WhatsApp), so that its callback exchanges the code the way that dialog
-- issued it (one exchange for a business integration system user token, no fb_exchange_token),
-- whichever process answers the callback and even if the setting changed during the flow's 10
-- minutes. Null: Facebook Login with scopes, or another provider.
ALTER TABLE "oauth_states" ADD COLUMN "login_config_id" TEXT;
