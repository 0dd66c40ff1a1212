//! The OpenAPI 3.0 document, written by hand: the OGC API – Features paths with their
//! parameters, and the planner API. (No crate derives OGC's shared parameter and response
//! definitions from handlers better than writing them down.)

use serde_json::{json, Value};

use super::AppState;

/// The document for a server at `base`.
pub fn document(base: &str, s: &AppState) -> Value {
    let collection_ids: Vec<&str> = s.collections.iter().map(|c| c.id.as_str()).collect();
    let crs_list = s.crs.offered_uris();
    let err = json!({"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}}});
    let geojson = |what: &str| json!({"description": what, "content": {"application/geo+json": {"schema": {"type": "object"}}}});
    let jsonr = |what: &str| json!({"description": what, "content": {"application/json": {"schema": {"type": "object"}}}});
    let p = |name: &str| json!({"$ref": format!("#/components/parameters/{name}")});
    // Two objects: one json! of everything overflows the macro's recursion limit.
    let planner_paths = json!({
            "/api/neighbourhoods": {"get": {
                "summary": "neighbourhoods (planner view: id, name, is_old, build_year, households, street, area_m2)",
                "parameters": [
                    {"name": "old", "in": "query", "schema": {"type": "boolean"}, "description": "only old (true) or only not old (false)"},
                    {"name": "bbox", "in": "query", "schema": {"type": "string"}, "description": "minx,miny,maxx,maxy in bbox-crs (default: crs)"},
                    {"name": "bbox-crs", "in": "query", "schema": {"type": "string"}},
                    p("planner-crs"), p("limit"), p("offset")],
                "responses": {"200": geojson("FeatureCollection"), "400": err, "409": err}}},
            "/api/neighbourhoods/{id}": {"get": {"summary": "one neighbourhood", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}, p("planner-crs")], "responses": {"200": geojson("Feature"), "400": err, "404": err}}},
            "/api/neighbourhoods/{id}/catchment": {"get": {"summary": "its walking catchment bands", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}, p("planner-crs"), p("minutes"), p("profile"), p("speed")], "responses": {"200": geojson("one feature per band"), "400": err, "404": err, "409": err}}},
            "/api/catchment": {"get": {"summary": "walking catchment from a point", "parameters": [
                {"name": "at", "in": "query", "required": true, "schema": {"type": "string"}, "description": "x,y (longitude,latitude) in crs"},
                p("planner-crs"), p("minutes"), p("profile"), p("speed")], "responses": {"200": geojson("one feature per band"), "400": err, "409": err}}},
            "/api/stock": {"get": {"summary": "stock resources near old neighbourhoods, each with its reasons (rule, value, threshold) and the old neighbourhoods near it", "parameters": [
                {"name": "kind", "in": "query", "schema": {"type": "string"}, "description": "comma-separated: idle_land, low_efficiency_land, fragmented_land, vacant_institutional_building, idle_building, shared_space"},
                {"name": "near", "in": "query", "schema": {"type": "string"}, "description": "a neighbourhood id: only resources within walking reach of it"},
                {"name": "bbox", "in": "query", "schema": {"type": "string"}}, {"name": "bbox-crs", "in": "query", "schema": {"type": "string"}},
                p("planner-crs"), p("limit"), p("offset")], "responses": {"200": geojson("FeatureCollection"), "400": err, "409": err}}},
            "/api/stock/{id}": {"get": {"summary": "one stock resource", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}, p("planner-crs")], "responses": {"200": geojson("Feature"), "400": err, "404": err}}},
            "/api/candidates": {"get": {"summary": "candidate sites of a facility type, ranked, each with its explanation (factors with value, weight, contribution; checks; neighbourhoods served)", "parameters": [
                {"name": "type", "in": "query", "required": true, "schema": {"type": "string"}, "description": "facility type id (see /api/standards)"},
                {"name": "near", "in": "query", "schema": {"type": "string"}, "description": "a neighbourhood id the candidate serves"},
                {"name": "patch", "in": "query", "schema": {"type": "string"}, "description": "a renovation patch id (P1 …) one of whose neighbourhoods it serves"},
                {"name": "min_score", "in": "query", "schema": {"type": "number", "minimum": 0, "maximum": 1}},
                {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["score", "-score", "area", "minutes", "name"], "default": "score"}},
                {"name": "bbox", "in": "query", "schema": {"type": "string"}}, {"name": "bbox-crs", "in": "query", "schema": {"type": "string"}},
                p("planner-crs"), p("limit"), p("offset")], "responses": {"200": geojson("FeatureCollection"), "400": err, "409": err}}},
            "/api/gaps": {"get": {"summary": "gaps summary: per facility type, totals over old neighbourhoods and per renovation patch, the neighbourhoods with a gap", "parameters": [
                {"name": "type", "in": "query", "schema": {"type": "string"}}], "responses": {"200": jsonr("summary"), "400": err, "409": err}}},
            "/api/allocation": {"post": {"summary": "location-allocation: choose sites to reach the most households in gap with k sites per type (maximal covering), or the fewest sites reaching all (cover_all, set covering); chosen sites as features with coverage before/after per type",
                "parameters": [p("planner-crs")],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "properties": {
                    "types": {"type": "array", "items": {"type": "string"}, "description": "default: every analysed type"},
                    "k": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 3},
                    "total": {"type": "integer", "minimum": 1, "maximum": 1000, "description": "with together: sites over all types"},
                    "together": {"type": "boolean", "default": false, "description": "one problem for all types, each stock resource used once"},
                    "cover_all": {"type": "boolean", "default": false}}}}}},
                "responses": {"200": geojson("FeatureCollection of the chosen sites with formulation, coverage per type, households covered before/after"), "400": err, "409": err, "413": err, "415": err}}},
            "/api/standards": {"get": {"summary": "the facility standards and analysis settings in force, every value with its source", "responses": {"200": jsonr("settings")}}},
    });
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "infill",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "OGC API – Features (Part 1 core/GeoJSON/OAS30, Part 2 CRS) over the project's layers and derived catchments, and the planner API under /api. Unknown query parameters are refused with 400.",
        },
        "servers": [{"url": base}],
        "paths": {
            "/": {"get": {"summary": "landing page", "operationId": "getLandingPage", "parameters": [p("f")], "responses": {"200": jsonr("links to the API"), "400": err}}},
            "/conformance": {"get": {"summary": "conformance classes", "operationId": "getConformanceDeclaration", "parameters": [p("f")], "responses": {"200": jsonr("conformsTo"), "400": err}}},
            "/openapi": {"get": {"summary": "this document", "parameters": [p("f")], "responses": {"200": {"description": "OpenAPI 3.0", "content": {"application/vnd.oai.openapi+json;version=3.0": {}}}}}},
            "/health": {"get": {"summary": "liveness", "responses": {"200": jsonr("ok")}}},
            "/collections": {"get": {"summary": "the feature collections", "operationId": "getCollections", "parameters": [p("f")], "responses": {"200": jsonr("collections"), "400": err}}},
            "/collections/{collectionId}": {"get": {"summary": "one collection", "operationId": "describeCollection", "parameters": [p("collectionId"), p("f")], "responses": {"200": jsonr("collection"), "400": err, "404": err}}},
            "/collections/{collectionId}/items": {"get": {
                "summary": "features of a collection, paged (next/prev links)", "operationId": "getFeatures",
                "parameters": [p("collectionId"), p("limit"), p("offset"), p("bbox"), p("bbox-crs"), p("crs"), p("datetime"), p("f")],
                "responses": {"200": geojson("a FeatureCollection with numberMatched/numberReturned and links; header Content-Crs"), "400": err, "404": err}}},
            "/collections/{collectionId}/items/{featureId}": {"get": {
                "summary": "one feature", "operationId": "getFeature",
                "parameters": [p("collectionId"), {"name": "featureId", "in": "path", "required": true, "schema": {"type": "string"}}, p("crs"), p("f")],
                "responses": {"200": geojson("a Feature; header Content-Crs"), "400": err, "404": err}}},
        },
        "components": {
            "schemas": {
                "exception": {"type": "object", "required": ["code", "description", "status"], "properties": {
                    "code": {"type": "string"}, "description": {"type": "string"}, "status": {"type": "integer"}}},
            },
            "parameters": {
                "f": {"name": "f", "in": "query", "schema": {"type": "string", "enum": ["json", "geojson"]}},
                "collectionId": {"name": "collectionId", "in": "path", "required": true, "schema": {"type": "string", "enum": collection_ids}},
                "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 10}, "description": "larger values are clamped to 10000"},
                "offset": {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
                "bbox": {"name": "bbox", "in": "query", "style": "form", "explode": false, "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
                "bbox-crs": {"name": "bbox-crs", "in": "query", "schema": {"type": "string", "format": "uri", "enum": crs_list.clone()}},
                "crs": {"name": "crs", "in": "query", "schema": {"type": "string", "format": "uri", "enum": crs_list}},
                "datetime": {"name": "datetime", "in": "query", "schema": {"type": "string"}, "description": "accepted; no collection has temporal data"},
                "planner-crs": {"name": "crs", "in": "query", "schema": {"type": "string", "default": "wgs84"}, "description": "wgs84, gcj02 (Amap, Tencent), bd09 (Baidu), or an EPSG code such as 4549; easting/longitude first"},
                "minutes": {"name": "minutes", "in": "query", "schema": {"type": "string", "default": "5,10,15"}, "description": "increasing band limits, at most 8, each ≤ 60"},
                "profile": {"name": "profile", "in": "query", "schema": {"type": "string", "enum": ["default", "elderly"]}},
                "speed": {"name": "speed", "in": "query", "schema": {"type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 3}, "description": "m/s; overrides profile"},
            },
        },
    });
    if let (Some(paths), Value::Object(more)) = (doc["paths"].as_object_mut(), planner_paths) {
        paths.extend(more);
    }
    doc
}
