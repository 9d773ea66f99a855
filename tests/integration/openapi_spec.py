"""openapi_spec: docs/openapi.yaml as a checker of real answers (Debian's python3-yaml and
python3-jsonschema, Draft 2020-12 as OpenAPI 3.1 says).

    spec = Spec.load()
    spec.check("POST", "/v1/captcha", response)     # AssertionError naming what differs

check() finds the operation of the method and path, the response of the status, and
validates the headers it declares (required ones present, every value against its
schema), the content type and the body against the schema, with every "$ref" resolved
into components. It records each (operation, status) it validated in spec.seen.
"""

import copy
import json
import os
import re

import jsonschema
import yaml

SRC = os.environ.get("DVCID_SRC") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC_PATH = os.path.join(SRC, "docs", "openapi.yaml")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
JSON_TYPE = "application/json; charset=utf-8"  # api.md section 3: every JSON answer


def _pointer(doc, ref):
    assert ref.startswith("#/"), "only local $refs are used: %r" % ref
    node = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


class Spec:
    def __init__(self, doc):
        self.doc = doc
        self.seen = set()  # (operationId, status) validated
        self.ops = []  # (regex, template, method, operation)
        for template, item in doc["paths"].items():
            rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            for method in METHODS:
                if method in item:
                    self.ops.append((re.compile(rx), template, method.upper(), item[method]))

    @classmethod
    def load(cls, path=SPEC_PATH):
        with open(path, encoding="utf-8") as f:
            return cls(yaml.safe_load(f))

    def resolve(self, node, depth=0):
        """node with every $ref replaced by (a copy of) what it points at."""
        assert depth < 40, "a $ref cycle"
        if isinstance(node, dict):
            if "$ref" in node:
                target = self.resolve(_pointer(self.doc, node["$ref"]), depth + 1)
                rest = {k: v for k, v in node.items() if k != "$ref"}
                if not rest:
                    return copy.deepcopy(target)
                return {"allOf": [target, self.resolve(rest, depth + 1)]}
            return {k: self.resolve(v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v, depth + 1) for v in node]
        return node

    def schema(self, name):
        return self.resolve(self.doc["components"]["schemas"][name])

    def paths(self):
        """{(METHOD, template with every parameter as {id})} of the spec."""
        return {(m, re.sub(r"\{[^}]+\}", "{id}", t)) for _, t, m, _ in self.ops}

    def operation(self, method, path):
        path = path.split("?", 1)[0]
        want = "GET" if method == "HEAD" else method
        for rx, template, m, op in self.ops:
            if m == want and rx.match(path):
                return template, op
        return None, None

    @staticmethod
    def validate(value, schema, what):
        try:
            jsonschema.Draft202012Validator(
                schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
            ).validate(value)
        except jsonschema.ValidationError as e:
            raise AssertionError("%s: %s at %s\nvalue: %s" % (
                what, e.message, "/".join(str(p) for p in e.absolute_path) or "(root)",
                json.dumps(value, ensure_ascii=False)[:600])) from None

    def check_request(self, method, path, body):
        """The body a client sent (and the gateway took) is one the spec allows."""
        _, op = self.operation(method, path)
        assert op is not None, "%s %s: not in docs/openapi.yaml" % (method, path)
        rb = self.resolve(op.get("requestBody", {}))
        media = rb.get("content", {}).get("application/json")
        if body is None:
            assert not rb.get("required"), "%s %s: the spec requires a body" % (method, path)
            return
        assert media, "%s %s: the spec takes no JSON body" % (method, path)
        self.validate(body, media["schema"], "%s %s request body" % (method, path))

    def check(self, method, path, r):
        """Validates Response r (dvcid_stack) of method path against the spec."""
        template, op = self.operation(method, path)
        if op is None:
            # A method the path does not take: the 405 that each of its operations lists.
            others = [o for rx, _, _, o in self.ops if rx.match(path.split("?", 1)[0])]
            assert others, "%s %s: no path of docs/openapi.yaml matches" % (method, path)
            assert r.status == 405, "%s %s: a method the spec does not list answered %d" % (
                method, path, r.status)
            op = others[0]
            template = "(other method)"
        where = "%s %s (%s) answered %d" % (method, path, template, r.status)
        responses = op["responses"]
        key = str(r.status)
        assert key in responses, "%s: status not in the spec (it lists %s); body %r" % (
            where, ", ".join(sorted(responses)), r.body)
        resp = self.resolve(responses[key])
        for name, h in resp.get("headers", {}).items():
            value = r.headers.get(name)
            if value is None:
                assert not h.get("required"), "%s: no %s header" % (where, name)
                continue
            hs = h["schema"]
            if hs.get("type") == "integer":
                assert value.isdigit(), "%s: %s %r is not an integer" % (where, name, value)
                value = int(value)
            self.validate(value, hs, "%s: header %s" % (where, name))
        ctype = r.headers.get("Content-Type")
        content = resp.get("content")
        if not content:
            assert not r.body and ctype is None, "%s: the spec says no body, got %r %r" % (
                where, ctype, r.body)
        elif method != "HEAD":
            media = None
            for mt, m in content.items():
                same = ctype == JSON_TYPE if mt == "application/json" else ctype == mt
                if same:
                    media = m
            assert media is not None, "%s: Content-Type %r, the spec has %s" % (
                where, ctype, ", ".join(content))
            self.validate(r.body, media["schema"], where + ": body")
        if isinstance(r.body, dict) and isinstance(r.body.get("error"), dict):
            ra = r.body["error"].get("retry_after")
            if ra is not None:
                assert r.headers.get("Retry-After") == str(max(1, ra)), (
                    "%s: retry_after %r but Retry-After %r" % (
                        where, ra, r.headers.get("Retry-After")))
        self.seen.add((op["operationId"], r.status))
