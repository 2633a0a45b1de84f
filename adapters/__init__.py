"""What connects salesflow to the world: settings, stores and their set-up."""
