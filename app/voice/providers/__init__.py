"""Speech and language providers behind small interfaces; local ones run fully offline."""
