"""Numbered schema migrations above `PRAGMA user_version`; an applied one is never edited."""

from __future__ import annotations

# Index jobs, in SQL both engines read alike but for the id column (SQLite's migration 13,
# PostgreSQL's 6); an applied migration is never edited, so neither is this.
INDEX_JOBS = """
    CREATE TABLE index_jobs (
        id {id},
        kind TEXT NOT NULL CHECK (kind IN ('full', 'incremental')),
        requested_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
        started_at TEXT,
        finished_at TEXT,
        done INTEGER NOT NULL DEFAULT 0,
        total INTEGER NOT NULL DEFAULT 0,
        rejected INTEGER NOT NULL DEFAULT 0,
        embedded INTEGER,
        to_embed INTEGER,
        runner TEXT,
        error TEXT,
        report TEXT
    );
    CREATE UNIQUE INDEX index_jobs_one_open ON index_jobs ((status IN ('pending', 'running')))
        WHERE status IN ('pending', 'running');
"""

MIGRATIONS: tuple[str, ...] = (
    # 1: shows, indexed files, episodes, segments and their external-content FTS5 index.
    """
    CREATE TABLE shows (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL UNIQUE COLLATE NOCASE
    );
    CREATE TABLE sources (
        path TEXT PRIMARY KEY,              -- resolved absolute path
        shown_path TEXT NOT NULL,           -- the path as the operator gave it to `index`
        content_hash TEXT NOT NULL,         -- of the file, its twins and its sidecars together
        format TEXT,
        status TEXT NOT NULL CHECK (status IN ('indexed', 'twin', 'rejected')),
        detail TEXT,                        -- reject reason, twin's primary, or parse warnings
        indexed_at TEXT NOT NULL
    );
    CREATE TABLE episodes (
        id INTEGER PRIMARY KEY,
        source_path TEXT NOT NULL REFERENCES sources(path) ON DELETE CASCADE,
        item_key TEXT NOT NULL DEFAULT '',  -- tells apart the episodes of one feed or page
        show_id INTEGER REFERENCES shows(id),
        number INTEGER,
        title TEXT NOT NULL,
        published TEXT,                     -- YYYY-MM-DD
        duration_seconds REAL,
        url TEXT,
        description TEXT,
        format TEXT NOT NULL,
        speakers TEXT NOT NULL DEFAULT '[]',
        from_listing INTEGER NOT NULL DEFAULT 0,
        document TEXT NOT NULL,             -- JSON: what the file said; the columns above are derived
        merged_into INTEGER REFERENCES episodes(id) ON DELETE SET NULL,
        UNIQUE (source_path, item_key)
    );
    CREATE INDEX episodes_show ON episodes(show_id, number);
    CREATE INDEX episodes_published ON episodes(substr(published, 6, 5));
    CREATE TABLE segments (
        id INTEGER PRIMARY KEY,
        episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        start_seconds REAL,
        end_seconds REAL,
        speaker TEXT,
        text TEXT NOT NULL
    );
    CREATE INDEX segments_episode ON segments(episode_id, position);
    CREATE VIRTUAL TABLE segments_fts USING fts5(
        text, content='segments', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    );
    -- The store writes the FTS rows itself, one INSERT ... SELECT per episode: a per-row insert
    -- trigger made bulk indexing 4-5x slower. This trigger only guards edits made by hand.
    CREATE TRIGGER segments_au AFTER UPDATE OF text ON segments BEGIN
        INSERT INTO segments_fts(segments_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO segments_fts(rowid, text) VALUES (new.id, new.text);
    END;
    """,
    # 2: the FTS index's own vocabulary (term, documents, occurrences), for typo correction.
    """
    CREATE VIRTUAL TABLE segments_vocab USING fts5vocab('segments_fts', 'row');
    """,
    # 3: summaries made on demand, kept until the index changes.
    """
    CREATE TABLE summaries (
        episode_id INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE,
        method INTEGER NOT NULL,            -- the summary method's version
        document TEXT NOT NULL              -- JSON, as `rewind summary --json` prints it
    );
    """,
    # 4: each server's daily "on this day" post: where, when, and what was posted on which local date.
    """
    CREATE TABLE schedules (
        guild_id INTEGER PRIMARY KEY,
        channel_id INTEGER NOT NULL,
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        timezone TEXT NOT NULL,             -- IANA name
        enabled INTEGER NOT NULL DEFAULT 1,
        last_posted TEXT,                   -- the server's local date (YYYY-MM-DD) of the last post
        last_error TEXT,                    -- why the last attempt failed, for /admin status
        last_error_at TEXT
    );
    """,
    # 5: what paging buttons show, so they keep working after a restart; and small bot facts.
    """
    CREATE TABLE pagers (
        id INTEGER PRIMARY KEY,
        owner_id INTEGER NOT NULL,          -- the member who asked; only they can page
        kind TEXT NOT NULL,                 -- hits | episodes
        payload TEXT NOT NULL,              -- JSON: the pages' content
        created_at TEXT NOT NULL
    );
    CREATE TABLE facts (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 6: followed feeds, the items each one has shown, downloads that failed (retried with backoff),
    # each server's new-episode channel and what it was sent.
    """
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY,
        source_path TEXT NOT NULL,          -- the cached feed file, as the index knows it
        added_at TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        status TEXT NOT NULL DEFAULT 'new', -- new | ok | unchanged | error
        last_error TEXT,
        last_polled_at TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        next_poll_at TEXT,                  -- later than usual after failures (backoff)
        items INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE feed_items (
        feed_url TEXT NOT NULL REFERENCES feeds(url) ON DELETE CASCADE,
        item_key TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        announce INTEGER NOT NULL,          -- 0 for the items already in the feed when it was added
        PRIMARY KEY (feed_url, item_key)
    );
    CREATE TABLE feed_downloads (
        url TEXT PRIMARY KEY,               -- a transcript or chapters file that could not be fetched
        feed_url TEXT NOT NULL REFERENCES feeds(url) ON DELETE CASCADE,
        reason TEXT NOT NULL,
        failures INTEGER NOT NULL,
        next_try_at TEXT NOT NULL
    );
    CREATE TABLE announce_channels (
        guild_id INTEGER PRIMARY KEY,
        channel_id INTEGER NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        since TEXT NOT NULL,                -- episodes first seen before this are not announced here
        last_error TEXT,
        last_error_at TEXT
    );
    CREATE TABLE announcements (
        guild_id INTEGER NOT NULL,
        feed_url TEXT NOT NULL,
        item_key TEXT NOT NULL,
        posted_at TEXT NOT NULL,
        PRIMARY KEY (guild_id, feed_url, item_key)
    );
    """,
    # 7: the FTS index reads the text with apostrophes removed, so `don't`, `don’t` and `dont` are
    # one token (`dont`), as models.text.tokens makes them at query time.
    """
    DROP TRIGGER segments_au;
    DROP TABLE segments_vocab;
    DROP TABLE segments_fts;
    CREATE VIEW segments_folded AS
        SELECT id, episode_id, replace(replace(replace(text, char(39), ''), char(8217), ''), char(700), '') AS text
        FROM segments;
    CREATE VIRTUAL TABLE segments_fts USING fts5(
        text, content='segments_folded', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    );
    INSERT INTO segments_fts(segments_fts) VALUES ('rebuild');
    CREATE VIRTUAL TABLE segments_vocab USING fts5vocab('segments_fts', 'row');
    CREATE TRIGGER segments_au AFTER UPDATE OF text ON segments BEGIN
        INSERT INTO segments_fts(segments_fts, rowid, text)
            VALUES ('delete', old.id, replace(replace(replace(old.text, char(39), ''), char(8217), ''), char(700), ''));
        INSERT INTO segments_fts(rowid, text) SELECT id, text FROM segments_folded WHERE id = new.id;
    END;
    """,
    # 8: passages (runs of consecutive segments) and their sentence vectors, for search by meaning.
    """
    CREATE TABLE passages (
        id INTEGER PRIMARY KEY,
        episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
        first_segment INTEGER NOT NULL,     -- segments.id of its first and last segment
        last_segment INTEGER NOT NULL,
        vector BLOB NOT NULL                -- int8: the unit vector times 127
    );
    CREATE INDEX passages_episode ON passages(episode_id);
    """,
    # 9: a vector for each segment of a passage, to rank the passages nearest a query by their best
    # segment; passages embedded before have none and are embedded again (they serve meanwhile).
    """
    ALTER TABLE passages ADD COLUMN segment_vectors BLOB;  -- int8, one vector a segment, in order
    """,
    # 10: the month-day index on episodes.published: no query reads it (the daily post picks in Python).
    """
    DROP INDEX episodes_published;
    """,
    # 11: a vector of each episode's title and notes, to find episodes by topic; made for embedded
    # episodes that lack one (deleting or reindexing an episode drops it).
    """
    CREATE TABLE episode_vectors (
        episode_id INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE,
        vector BLOB NOT NULL                -- int8: the unit vector times 127
    );
    """,
    # 12: a daily post's claim held for a lease (a claim whose process died is taken over once it
    # ends), the id of the post's first message once Discord took it (so a taken-over claim whose
    # post went out is finished, not posted again), and the index pruning old pagers reads.
    """
    ALTER TABLE schedules ADD COLUMN claimed_day TEXT;       -- the local date a process is posting
    ALTER TABLE schedules ADD COLUMN claimed_by TEXT;        -- that process's token
    ALTER TABLE schedules ADD COLUMN claimed_until REAL;     -- the lease's end, Unix seconds
    ALTER TABLE schedules ADD COLUMN sent_message_id INTEGER;  -- the claimed post's first message
    CREATE INDEX pagers_created ON pagers (created_at);
    """,
    # 13: index jobs: reindexes asked for from any process and worked through by one indexer;
    # at most one is pending or running at a time (the unique partial index).
    INDEX_JOBS.format(id="INTEGER PRIMARY KEY"),
)
