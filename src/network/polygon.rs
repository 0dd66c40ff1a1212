//! Band polygons from reached line parts (in progress).
