-- A hub may write in several languages: a space-separated list of BCP 47 tags, the first being
-- its posts' language unless a post says otherwise. One tag, as stored until now, is a list.
ALTER TABLE local_actors RENAME COLUMN language TO languages;
