"""Images people upload: checked, re-encoded without their metadata, served safely."""
