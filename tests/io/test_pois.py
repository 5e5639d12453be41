"""Points of interest: the tags of a point (OpenStreetMap or a POI table) give its type."""

from __future__ import annotations


def test_osm_pois_are_typed(tmp_path):
    from rural_plan.io.pois import poi_type

    assert poi_type({"amenity": "hospital"}) == "health"
    assert poi_type({"poi_kind": "education", "amenity": "kindergarten"}) == "school"
    assert poi_type({"poi_type": "School"}) == "school"
    assert poi_type({"amenity": "pharmacy"}) == "pharmacy"
    assert poi_type({}) == "other"
