-- Custom migration (drizzle-kit cannot express these): memory's vector index, its FTS5 table and
-- the triggers that keep FTS5 and the tag index in step with `memories`, and the settings row
-- recording the embedder whose vectors the index holds. Index options: lib/memory/memory-settings.ts.
CREATE INDEX `memories_embedding_idx` ON `memories` (libsql_vector_idx(`embedding`, 'metric=cosine', 'compress_neighbors=float8', 'max_neighbors=48'));
--> statement-breakpoint
CREATE VIRTUAL TABLE `memories_fts` USING fts5(`text`, content='memories', content_rowid='seq', tokenize='porter unicode61 remove_diacritics 2');
--> statement-breakpoint
CREATE TRIGGER `memories_ai` AFTER INSERT ON `memories` BEGIN
  INSERT INTO `memories_fts` (rowid, `text`) VALUES (new.`seq`, new.`text`);
  INSERT OR IGNORE INTO `memory_tags` (`tag`, `seq`) SELECT value, new.`seq` FROM json_each(new.`tags`);
END;
--> statement-breakpoint
CREATE TRIGGER `memories_ad` AFTER DELETE ON `memories` BEGIN
  INSERT INTO `memories_fts` (`memories_fts`, rowid, `text`) VALUES ('delete', old.`seq`, old.`text`);
  DELETE FROM `memory_tags` WHERE `seq` = old.`seq`;
END;
--> statement-breakpoint
CREATE TRIGGER `memories_au_text` AFTER UPDATE OF `text` ON `memories` BEGIN
  INSERT INTO `memories_fts` (`memories_fts`, rowid, `text`) VALUES ('delete', old.`seq`, old.`text`);
  INSERT INTO `memories_fts` (rowid, `text`) VALUES (new.`seq`, new.`text`);
END;
--> statement-breakpoint
CREATE TRIGGER `memories_au_tags` AFTER UPDATE OF `tags` ON `memories` BEGIN
  DELETE FROM `memory_tags` WHERE `seq` = old.`seq`;
  INSERT OR IGNORE INTO `memory_tags` (`tag`, `seq`) SELECT value, new.`seq` FROM json_each(new.`tags`);
END;
--> statement-breakpoint
INSERT INTO `memory_settings` (`id`, `embedder`, `pending_embedder`, `vector_index`, `generation`, `reembed_cursor`, `updated_at`)
VALUES (1, '{"kind":"offline","model":"hash-ngram-v1","dimension":256}', NULL, 'memories_embedding_idx', 1, 0, 0);
