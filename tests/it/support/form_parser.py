"""Parses a multipart/form-data request body with Python's email package, as a
server's form parser would, and prints its parts as JSON: name, filename,
Content-Type (as sent, or null) and the content in hex.
Usage: form_parser.py CONTENT-TYPE < BODY"""
import email.parser
import json
import sys

content_type = sys.argv[1].encode()
body = sys.stdin.buffer.read()
# compat32 (the default policy) keeps header values as sent.
message = email.parser.BytesParser().parsebytes(
    b"Content-Type: " + content_type + b"\r\n\r\n" + body
)
assert message.is_multipart(), "not multipart"
assert not message.defects, message.defects
parts = []
for part in message.get_payload():
    assert not part.defects, part.defects
    parts.append({
        "name": part.get_param("name", header="content-disposition"),
        "filename": part.get_filename(),
        "type": part["content-type"],
        "hex": part.get_payload(decode=True).hex(),
    })
print(json.dumps(parts))
