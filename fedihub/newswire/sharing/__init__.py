"""Following other instances' newswires and passing on what they publish."""
