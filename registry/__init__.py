"""Kazakhstan–Belarus cooperation registry."""
