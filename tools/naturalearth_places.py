"""Turn Natural Earth's "populated places" point shapefile into the GeoJSON the live map's offline basemap draws.

    python tools/naturalearth_places.py naturalearth_cities.shp static/basemap/naturalearth/places-110m.geojson

Reads the .shp (point records) and the .dbf beside it (the `name` column, in the code page its .cpg names) with
the standard library only. static/basemap/naturalearth/README.md says where the shapefile comes from.
"""

import json
import struct
import sys
from pathlib import Path

POINT = 1
# Names the shapefile's code page (ISO-8859-1) could not hold and that came out as "?".
CORRECTIONS = {"?saka": "Ōsaka", "Chi?in?u": "Chișinău"}


def points(shp: bytes) -> list[tuple[float, float]]:
    found, offset = [], 100  # after the file header
    while offset < len(shp):
        _number, words = struct.unpack(">II", shp[offset : offset + 8])
        shape_type, x, y = struct.unpack("<idd", shp[offset + 8 : offset + 28])
        if shape_type != POINT:
            raise SystemExit(f"record at byte {offset}: shape type {shape_type}, not a point")
        found.append((x, y))
        offset += 8 + words * 2
    return found


def names(dbf: bytes, encoding: str) -> list[str]:
    count, header_length, record_length = struct.unpack("<IHH", dbf[4:12])
    fields, position, start = {}, 32, 1  # a record starts with its deletion flag
    while dbf[position] != 0x0D:
        name = dbf[position : position + 11].split(b"\0")[0].decode("ascii").lower()
        length = dbf[position + 16]
        fields[name] = (start, length)
        start += length
        position += 32
    begin, length = fields["name"]
    return [
        dbf[header_length + i * record_length + begin : header_length + i * record_length + begin + length]
        .decode(encoding)
        .strip()
        for i in range(count)
    ]


def main(shp_path: str, out_path: str) -> None:
    shp = Path(shp_path)
    cpg = shp.with_suffix(".cpg")
    encoding = cpg.read_text().strip() if cpg.exists() else "latin-1"
    places = zip(names(shp.with_suffix(".dbf").read_bytes(), encoding), points(shp.read_bytes()), strict=True)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": CORRECTIONS.get(name, name)},
                "geometry": {"type": "Point", "coordinates": [round(x, 4), round(y, 4)]},
            }
            for name, (x, y) in sorted(places)
        ],
    }
    Path(out_path).write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
