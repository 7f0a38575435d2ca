"""Input representations: audio, symbolic and text features, MIDI rendering, cache."""
