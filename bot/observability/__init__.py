"""What Sauti tells its operators about itself: metrics (logs are configured by the CLI)."""
