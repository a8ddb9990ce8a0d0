-- A send finds the contact's conversation on its number by wa_id or by any form of its phone
-- (ConversationsRepository.findContact: integration_id AND (wa_id = … OR phone IN … OR phone_normalized IN …)).
-- Only wa_id had an index with integration_id in front, so every lookup read all of the number's
-- conversations (a sequential scan: 4 ms at 10,000 conversations, growing with each new contact, which
-- slowed a 10,000-recipient bulk from 80/s to 60-70/s as it went). With these two the planner ORs three
-- index scans (0.16 ms at 10,000).
CREATE INDEX "conversations_integration_id_phone_idx" ON "conversations"("integration_id", "phone");

CREATE INDEX "conversations_integration_id_phone_normalized_idx" ON "conversations"("integration_id", "phone_normalized");
