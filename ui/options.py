"""What an option several commands take says about itself, written once so it reads the same in each."""

SHOW = "Only this show"
SPEAKER = "Only lines by this speaker"
EPISODE = "Episode number (12 or #12), id:N, or title"
