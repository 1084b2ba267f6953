"""Cross-app plumbing (DESIGN.md section 2): what every web app shares."""
