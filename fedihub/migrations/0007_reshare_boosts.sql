-- The boost (Announce of the object's id) a hub sent for a re-shared post. Mastodon shows the
-- boost; when the author deletes the post, the hub undoes it, as Mastodon's followers of the
-- hub may never hear of the author's Delete.
ALTER TABLE reshares ADD COLUMN boost_uri TEXT;
