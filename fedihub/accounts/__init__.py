"""Local accounts: people who sign in and post as the hubs they organise."""
