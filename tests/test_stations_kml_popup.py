"""KML exported by ArcGIS / My Maps: attributes in an HTML popup table, not ExtendedData."""

from __future__ import annotations

from geo.stations import read_stations

ARCGIS_KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>QT002</name>
<description><![CDATA[<html><body><table border="1"><tr><th>Field</th><th>Value</th></tr>
<tr><td>Mã trạm</td><td>QT002</td></tr><tr><td>Công nghệ</td><td>5G</td></tr>
<tr><td>Nhà mạng</td><td>VinaPhone</td></tr><tr><td>Độ cao anten (m)</td><td>42</td></tr>
</table></body></html>]]></description>
<Point><coordinates>107.10,16.80,0</coordinates></Point></Placemark>
<Placemark><name>QT003</name>
<ExtendedData><Data name="Công nghệ"><value>4G</value></Data></ExtendedData>
<description><![CDATA[<table><tr><td>Công nghệ</td><td>5G</td></tr>
<tr><td>Nhà mạng</td><td>Viettel</td></tr></table>]]></description>
<Point><coordinates>107.0,16.70,0</coordinates></Point></Placemark>
</Document></kml>"""


def test_popup_table_fields_are_read(tmp_path):
    path = tmp_path / "arcgis.kml"
    path.write_text(ARCGIS_KML, encoding="utf-8")
    st = read_stations(path).stations.set_index("station_id")
    assert st.loc["QT002", "technology"] == "5G"
    assert st.loc["QT002", "operator"] == "VinaPhone"
    assert st.loc["QT002", "height_m"] == 42
    # ExtendedData wins over the popup when both give a field
    assert st.loc["QT003", "technology"] == "4G"
    assert st.loc["QT003", "operator"] == "Viettel"
