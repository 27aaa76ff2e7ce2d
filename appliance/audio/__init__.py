"""Audio frames and the codecs, resampling and detection that act on them."""
