"""SQLite schema as an ordered list of migrations; ``meta.schema_version`` says how many ran.

Append a migration to change the schema; never edit one that has shipped. Dates are ISO strings so
that text order is time order. JSON columns hold small lists (outlets, aliases) that are only ever
read whole.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the foundation
    """
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

    CREATE TABLE IF NOT EXISTS articles (
        id              TEXT PRIMARY KEY,
        content_hash    TEXT NOT NULL UNIQUE,
        origin          TEXT NOT NULL DEFAULT '',
        url             TEXT,
        outlet          TEXT,
        credited_source TEXT,
        lang            TEXT,
        title           TEXT NOT NULL DEFAULT '',
        body            TEXT NOT NULL DEFAULT '',
        raw             TEXT NOT NULL DEFAULT '',
        published       TEXT,            -- ISO datetime, only when the year is known
        date_iso        TEXT,            -- what was found, possibly partial (--MM-DD)
        date_confidence REAL,
        date_source     TEXT,
        duplicate_of    TEXT,
        version_of      TEXT,            -- set when the same id arrived with other content
        event_id        TEXT
    );
    CREATE INDEX IF NOT EXISTS articles_event ON articles(event_id);
    CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
    CREATE INDEX IF NOT EXISTS articles_outlet ON articles(outlet);

    CREATE TABLE IF NOT EXISTS removed_spans (
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        seq        INTEGER NOT NULL,
        start      INTEGER NOT NULL,
        rule       TEXT NOT NULL,
        text       TEXT NOT NULL,
        PRIMARY KEY (article_id, seq)
    );

    CREATE TABLE IF NOT EXISTS rejects (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        origin TEXT NOT NULL,
        line   INTEGER,
        reason TEXT NOT NULL,
        run_id TEXT,
        UNIQUE (origin, line, reason)
    );

    CREATE TABLE IF NOT EXISTS events (
        id       TEXT PRIMARY KEY,
        title    TEXT NOT NULL DEFAULT '',
        start    TEXT,
        end      TEXT,
        size     INTEGER NOT NULL DEFAULT 0,
        outlets  TEXT NOT NULL DEFAULT '[]',
        story_id TEXT
    );
    CREATE INDEX IF NOT EXISTS events_story ON events(story_id);
    CREATE INDEX IF NOT EXISTS events_start ON events(start);

    CREATE TABLE IF NOT EXISTS event_evidence (
        article_id TEXT PRIMARY KEY,
        event_id   TEXT NOT NULL,
        score      REAL,
        evidence   TEXT NOT NULL DEFAULT '{}'
    );

    CREATE TABLE IF NOT EXISTS stories (
        id       TEXT PRIMARY KEY,
        title    TEXT NOT NULL DEFAULT '',
        start    TEXT,
        end      TEXT,
        entities TEXT NOT NULL DEFAULT '[]',
        event_ids TEXT NOT NULL DEFAULT '[]'
    );

    CREATE TABLE IF NOT EXISTS entities (
        key     TEXT PRIMARY KEY,
        name    TEXT NOT NULL,
        kind    TEXT NOT NULL,
        aliases TEXT NOT NULL DEFAULT '[]',
        roles   TEXT NOT NULL DEFAULT '[]'
    );

    CREATE TABLE IF NOT EXISTS mentions (
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        entity_key TEXT NOT NULL,
        start      INTEGER NOT NULL,
        end        INTEGER NOT NULL,
        text       TEXT NOT NULL,
        PRIMARY KEY (article_id, start, end)
    );
    CREATE INDEX IF NOT EXISTS mentions_entity ON mentions(entity_key);

    CREATE TABLE IF NOT EXISTS quotes (
        id           TEXT PRIMARY KEY,
        article_id   TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        start        INTEGER NOT NULL,
        end          INTEGER NOT NULL,
        text         TEXT NOT NULL,
        speaker      TEXT,
        speaker_name TEXT,
        cue          TEXT NOT NULL DEFAULT '',
        confidence   REAL NOT NULL DEFAULT 0,
        kind         TEXT NOT NULL DEFAULT 'direct',
        statement_id TEXT
    );
    CREATE INDEX IF NOT EXISTS quotes_article ON quotes(article_id);
    CREATE INDEX IF NOT EXISTS quotes_speaker ON quotes(speaker);
    CREATE INDEX IF NOT EXISTS quotes_statement ON quotes(statement_id);

    CREATE TABLE IF NOT EXISTS features (
        article_id TEXT NOT NULL,
        kind       TEXT NOT NULL,
        data       BLOB NOT NULL,
        PRIMARY KEY (article_id, kind)
    );

    CREATE TABLE IF NOT EXISTS runs (
        id       TEXT PRIMARY KEY,
        started  TEXT NOT NULL,
        finished TEXT,
        command  TEXT NOT NULL DEFAULT '',
        summary  TEXT NOT NULL DEFAULT '{}'
    );

    CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        kind UNINDEXED, ref UNINDEXED, title, body,
        tokenize = 'unicode61 remove_diacritics 2'
    );
    """,
    # 2: notes on kept articles share the rejects table (same shape: origin, line, one-line reason). ``kept = 1``
    # marks an input that was stored with a caveat (future date dropped, unsupported language, characters
    # removed); ``kept = 0`` is an input that did not become an article. And rejects are recorded once even
    # without a line: UNIQUE (origin, line, reason) let such rows repeat (SQLite's NULLs are all distinct), so
    # each re-run added "empty file" again; the first of each is kept and the rule now covers NULL lines.
    """
    ALTER TABLE rejects ADD COLUMN kept INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX IF NOT EXISTS rejects_kept ON rejects(kept, origin);
    DELETE FROM rejects WHERE id NOT IN (SELECT min(id) FROM rejects GROUP BY origin, coalesce(line, 0), reason);
    CREATE UNIQUE INDEX IF NOT EXISTS rejects_once ON rejects(origin, coalesce(line, 0), reason);
    """,
    # 3: state of incremental grouping (``storyline ingest --incremental``, storyline.group.incremental), so that
    # adding an article costs the same in a store of a thousand or a million: ``term_df`` holds the document
    # frequencies of grouping terms over all stored articles (``meta.term_df_docs`` the article count), and
    # ``postings`` a few heavy terms per article with its day, the inverted index a late article uses to find
    # retired events in its date window. Both are rewritten by a full regroup and extended by each added batch.
    """
    CREATE TABLE IF NOT EXISTS term_df (
        term TEXT PRIMARY KEY,
        df   INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE IF NOT EXISTS postings (
        term       TEXT NOT NULL,
        day        REAL NOT NULL,
        article_id TEXT NOT NULL,
        PRIMARY KEY (term, day, article_id)
    ) WITHOUT ROWID;
    """,
    # 4: the raw NER finds of each annotated article (JSON list of [kind, name, surface, start, end]), before names
    # are reconciled across articles, so that regroup can reconcile them over the whole store whatever the batches
    # were (storyline.extract.reconcile); ``digest`` fingerprints the article's stored entities and mentions, so
    # that only articles whose reconciled names changed get their mentions and quotes rewritten.
    """
    CREATE TABLE IF NOT EXISTS ner_names (
        article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        names      TEXT NOT NULL,
        digest     TEXT NOT NULL DEFAULT ''
    );
    """,
    # 5: what `storyline watch` remembers between passes (storyline.ingest.feeds): each feed's validators
    # (ETag/Last-Modified) and failures, each item seen with its fetch status. Earlier versions created these
    # tables on the first pass, hence IF NOT EXISTS: such stores keep their rows.
    """
    CREATE TABLE IF NOT EXISTS watch_feeds (
        url           TEXT PRIMARY KEY,
        etag          TEXT,
        last_modified TEXT,
        last_checked  TEXT,
        last_ok       TEXT,
        failures      INTEGER NOT NULL DEFAULT 0,   -- consecutive failed rounds
        last_error    TEXT
    );
    CREATE TABLE IF NOT EXISTS watch_items (
        url        TEXT PRIMARY KEY,                -- canonical item link (no fragment, no utm_* parameters)
        guid       TEXT,
        feed_url   TEXT NOT NULL,
        title      TEXT,
        site_name  TEXT,                            -- the feed's name for its site (channel title, news:name)
        date       TEXT,                            -- the feed's date for the item, ISO
        first_seen TEXT NOT NULL,
        status     TEXT NOT NULL,                   -- pending | fetched | failed
        attempts   INTEGER NOT NULL DEFAULT 0,
        final_url  TEXT,
        doc_id     TEXT,
        error      TEXT
    );
    CREATE INDEX IF NOT EXISTS watch_items_guid ON watch_items(guid);
    CREATE INDEX IF NOT EXISTS watch_items_status ON watch_items(status);
    """,
    # 6: an event's summary, written by a full regroup with its representative headline as the title
    # (group/timeline.py ``describe_event``); NULL where an event was made or grown on the incremental path,
    # where the views fall back to the earliest article's lead.
    """
    ALTER TABLE events ADD COLUMN summary TEXT;
    """,
    # 7: the events list's order as an index. Without it every page sorted all events (reading each row with
    # its summary): page 1 of a 34k-event store took 17 ms, page 200 330 ms; with it 1–3 ms at any depth.
    """
    CREATE INDEX IF NOT EXISTS events_listing ON events(start IS NULL, start DESC, id);
    """,
    # 8: the articles that mention an entity, in id order, straight from an index: the incremental path reconciles
    # a batch's names with a few stored articles per name it may join (storyline.extract.reconcile), chosen by id
    # so that the choice does not depend on the order articles were stored in. Replaces the index on the key alone.
    """
    CREATE INDEX IF NOT EXISTS mentions_entity_article ON mentions(entity_key, article_id);
    DROP INDEX IF EXISTS mentions_entity;
    """,
    # 9: the copies of an article: a late original on the incremental path takes over the copies of the article
    # it turns out to precede (storyline.group.dedup.CopyIndex), found without a scan. Partial: most rows are
    # not copies.
    """
    CREATE INDEX IF NOT EXISTS articles_duplicate_of ON articles(duplicate_of) WHERE duplicate_of IS NOT NULL;
    """,
    # 10: the UTC offset of an article's date, in minutes, when its source states one (``DateGuess.utc_offset``):
    # ``published`` stays the outlet's clock time; the offset orders outlets of several time zones.
    """
    ALTER TABLE articles ADD COLUMN utc_offset INTEGER;
    """,
]
