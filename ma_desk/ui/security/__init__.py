"""Sign-in, lock screen, audit view, user administration and emergency access."""
