/**
 * Pure: a SCIM PATCH request (RFC 7644 §3.5.2) applied to a presented resource,
 * giving the resource as it should become; the service then validates and
 * writes that like a PUT, so PATCH and PUT cannot disagree. Operation names are
 * case-insensitive (Entra sends "Replace"); a path with no `path` merges the
 * value's attributes; `members[value eq "…"]` and Entra's "remove members with a
 * value list" both remove members. Unknown paths are invalidPath, read-only ones
 * mutability, and any error rejects the whole request (nothing half-applied).
 */
import { ENTERPRISE_USER_SCHEMA, PATCH_SCHEMA, type AttrDef } from './attributes.js';
import { ScimError } from './errors.js';
import { getProp, matchesFilter, parsePatchPath, type Filter } from './filter.js';

export type Resource = Record<string, unknown>;
type Op = 'add' | 'replace' | 'remove';

const MAX_OPERATIONS = 1_000;

export function applyPatch(resource: Resource, body: unknown, attrs: Record<string, AttrDef>): Resource {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ScimError(400, 'invalidSyntax', 'A PATCH body is a JSON object.');
  const schemas = getProp(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.includes(PATCH_SCHEMA)) throw new ScimError(400, 'invalidSyntax', `A PATCH body names the schema ${PATCH_SCHEMA}.`);
  const operations = getProp(body, 'operations');
  if (!Array.isArray(operations) || operations.length === 0) throw new ScimError(400, 'invalidSyntax', 'A PATCH body has a non-empty "Operations" list.');
  if (operations.length > MAX_OPERATIONS) throw new ScimError(400, 'tooMany', `At most ${MAX_OPERATIONS} operations in one PATCH.`);
  const out = structuredClone(resource);
  for (const raw of operations) {
    const opName = getProp(raw, 'op');
    const op = typeof opName === 'string' ? opName.toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw new ScimError(400, 'invalidSyntax', `Unknown PATCH operation "${String(opName).slice(0, 40)}": add, replace or remove.`);
    const path = getProp(raw, 'path');
    const value = getProp(raw, 'value');
    if (path === undefined || path === null || path === '') {
      if (op === 'remove') throw new ScimError(400, 'noTarget', 'A remove operation needs a path.');
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ScimError(400, 'invalidValue', `An ${op} without a path takes an object of attributes.`);
      for (const [k, v] of Object.entries(value)) {
        // Okta replaces a group with {id, displayName}: read-only attributes in a whole-resource value are ignored, as in a PUT.
        if (k.toLowerCase() === 'schemas' || attrs[k.toLowerCase()]?.mutability === 'readOnly') continue;
        applyPath(out, op, k, v, attrs);
      }
    } else {
      if (typeof path !== 'string' || path.length > 1_000) throw new ScimError(400, 'invalidPath', 'A path is a string.');
      if (op !== 'remove' && value === undefined) throw new ScimError(400, 'invalidValue', `An ${op} operation needs a value.`);
      applyPath(out, op, path, value, attrs);
    }
  }
  return out;
}

function applyPath(resource: Resource, op: Op, rawPath: string, value: unknown, attrs: Record<string, AttrDef>): void {
  // The enterprise extension (department, manager, …) is accepted and not kept, whole or attribute by attribute.
  if (rawPath.toLowerCase().startsWith(ENTERPRISE_USER_SCHEMA.toLowerCase()) && attrs[ENTERPRISE_USER_SCHEMA.toLowerCase()]) return;
  const { path, filter, sub } = parsePatchPath(rawPath);
  const top = attrs[path[0]!];
  if (!top) throw new ScimError(400, 'invalidPath', `"${rawPath.slice(0, 100)}" is not an attribute of this resource.`);
  if (top.ignored) return;
  if (top.mutability === 'readOnly') throw new ScimError(400, 'mutability', `"${top.name}" is read-only.`);
  const subName = path[1] ?? sub[0];
  if (path[1] !== undefined && sub.length > 0) throw new ScimError(400, 'invalidPath', `"${rawPath.slice(0, 100)}" is not an attribute path.`);
  let subDef: AttrDef | undefined;
  if (subName !== undefined) {
    subDef = top.sub?.[subName];
    if (!subDef) throw new ScimError(400, 'invalidPath', `"${rawPath.slice(0, 100)}" is not an attribute of this resource.`);
    if (subDef.ignored) return;
  }
  if (filter && !top.multiValued) throw new ScimError(400, 'invalidPath', `"${top.name}" is not multi-valued: it takes no filter.`);

  if (!top.multiValued) {
    if (!subDef) {
      if (op === 'remove') delete resource[top.name];
      else if (top.type === 'complex') {
        if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ScimError(400, 'invalidValue', `"${top.name}" takes an object.`);
        const current = op === 'add' && isObject(resource[top.name]) ? (resource[top.name] as Resource) : {};
        resource[top.name] = { ...current, ...canonicalKeys(value as Resource, top) };
      } else resource[top.name] = coerce(value, top);
      return;
    }
    const current = isObject(resource[top.name]) ? (resource[top.name] as Resource) : {};
    if (op === 'remove') delete current[subDef.name];
    else current[subDef.name] = coerce(value, subDef);
    resource[top.name] = current;
    return;
  }

  const list = Array.isArray(resource[top.name]) ? ([...(resource[top.name] as unknown[])] as Resource[]) : [];
  const incoming = (): Resource[] => (Array.isArray(value) ? value : [value]).map((v) => {
    if (!isObject(v)) throw new ScimError(400, 'invalidValue', `"${top.name}" takes objects.`);
    return canonicalKeys(v as Resource, top);
  });
  if (!filter) {
    if (subDef) {
      for (const item of list) {
        if (op === 'remove') delete item[subDef.name];
        else item[subDef.name] = coerce(value, subDef);
      }
    } else if (op === 'add') {
      for (const v of incoming()) {
        const at = list.findIndex((i) => sameValue(i, v));
        if (at >= 0) list[at] = { ...list[at], ...v };
        else list.push(v);
      }
    } else if (op === 'replace') {
      list.splice(0, list.length, ...incoming());
    } else if (value !== undefined && value !== null) {
      // Entra removes members by listing them as the value: remove those, not the whole list.
      const gone = incoming();
      for (let i = list.length - 1; i >= 0; i--) if (gone.some((g) => sameValue(list[i]!, g))) list.splice(i, 1);
    } else {
      list.splice(0, list.length);
    }
    resource[top.name] = list;
    return;
  }

  const matched = list.filter((item) => matchesFilter(item, filter));
  if (op === 'remove') {
    if (subDef) for (const item of matched) delete item[subDef.name];
    else resource[top.name] = list.filter((item) => !matched.includes(item));
    if (!subDef) return;
  } else if (matched.length === 0) {
    const seed = seedFrom(filter, top);
    if (!seed) throw new ScimError(400, 'noTarget', `No value of "${top.name}" matches the filter.`);
    if (subDef) list.push({ ...seed, [subDef.name]: coerce(value, subDef) });
    else for (const v of incoming()) list.push({ ...seed, ...v });
  } else {
    for (const item of matched) {
      if (subDef) item[subDef.name] = coerce(value, subDef);
      else {
        const [v] = incoming();
        Object.assign(item, v);
      }
    }
  }
  resource[top.name] = list;
}

/** `type eq "work"`: the element a replace or add with no match creates (Entra's emails[type eq "work"].value). */
function seedFrom(filter: Filter, top: AttrDef): Resource | null {
  if (filter.kind !== 'compare' || filter.op !== 'eq' || filter.path.length !== 1) return null;
  const def = top.sub?.[filter.path[0]!];
  return def ? { [def.name]: filter.value } : null;
}

function sameValue(a: Resource, b: Resource): boolean {
  return typeof a.value === 'string' && a.value === b.value;
}

function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sub-attribute names in their canonical case; unknown ones are invalidPath. */
function canonicalKeys(v: Resource, def: AttrDef): Resource {
  const out: Resource = {};
  for (const [k, x] of Object.entries(v)) {
    const s = def.sub?.[k.toLowerCase()];
    if (!s) throw new ScimError(400, 'invalidPath', `"${def.name}.${k.slice(0, 60)}" is not an attribute of this resource.`);
    if (s.ignored) continue;
    out[s.name] = coerce(x, s);
  }
  return out;
}

/** Values of the declared type; "True"/"False" strings are booleans (Entra sends them for `active`). */
export function coerce(value: unknown, def: AttrDef): unknown {
  if (value === null) return null;
  if (def.type === 'boolean') {
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
    throw new ScimError(400, 'invalidValue', `"${def.name}" is true or false.`);
  }
  if (def.type === 'complex') {
    if (!isObject(value)) throw new ScimError(400, 'invalidValue', `"${def.name}" takes an object.`);
    return value;
  }
  if (typeof value !== 'string') throw new ScimError(400, 'invalidValue', `"${def.name}" is a string.`);
  return value;
}
