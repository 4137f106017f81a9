"""Reports (ActivityPub `Flag`s) other servers send about our hubs, posts and people, kept for
the moderators who answer for them: each is resolved by someone, with a note."""
