"""Reports about our hubs, posts and people, and about what other servers' people post into our
hubs: received as `Flag`s or made on our own form by anyone, filed with the moderators who
answer for them (a hub's, the instance's admins), each resolved by someone, with a note."""
