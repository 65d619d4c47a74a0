// A strict reader of the XML subset the bench's charts are written in (elements, attributes, text,
// comments; no DTD, no CDATA, no processing instructions but an XML declaration): it throws on
// anything not well-formed (unclosed or crossed tags, duplicate or unquoted attributes, a bare '<'
// or '&', text outside the root) and returns the element tree for structure checks.

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  /** The element's own text (entities decoded), its children's excluded. */
  text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: number): string {
  if (raw.includes('<')) throw new Error(`'<' in text or an attribute at ${where}`);
  return raw.replace(/&([^;]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw new Error(`unterminated entity at ${where}: ${whole}`);
    if (ref in ENTITIES) return ENTITIES[ref]!;
    const code = /^#x([0-9A-Fa-f]+)$/.exec(ref)?.[1] ?? /^#([0-9]+)$/.exec(ref)?.[1];
    if (code === undefined) throw new Error(`unknown entity &${ref}; at ${where}`);
    return String.fromCodePoint(ref.startsWith('#x') ? parseInt(code, 16) : Number(code));
  });
}

export function parseXml(source: string): XmlElement {
  let at = 0;
  if (source.startsWith('<?xml')) {
    const end = source.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    at = end + 2;
  }
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (at < source.length) {
    const lt = source.indexOf('<', at);
    const text = source.slice(at, lt < 0 ? source.length : lt);
    if (stack.length) stack[stack.length - 1]!.text += decode(text, at);
    else if (text.trim() !== '') throw new Error(`text outside the root element at ${at}: ${JSON.stringify(text.slice(0, 20))}`);
    if (lt < 0) break;
    at = lt;
    if (source.startsWith('<!--', at)) {
      const end = source.indexOf('-->', at + 4);
      if (end < 0 || source.slice(at + 4, end).includes('--')) throw new Error(`bad comment at ${at}`);
      at = end + 3;
      continue;
    }
    if (source.startsWith('</', at)) {
      const name = NAME.exec(source.slice(at + 2))?.[0];
      const close = at + 2 + (name?.length ?? 0);
      const gt = source.indexOf('>', close);
      if (!name || gt < 0 || source.slice(close, gt).trim() !== '') throw new Error(`bad end tag at ${at}`);
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> at ${at} closes <${open?.name ?? 'nothing'}>`);
      at = gt + 1;
      continue;
    }
    const name = NAME.exec(source.slice(at + 1))?.[0];
    if (!name) throw new Error(`a bare '<' at ${at}`);
    if (root && !stack.length) throw new Error(`a second root element <${name}> at ${at}`);
    at += 1 + name.length;
    const attributes: Record<string, string> = {};
    for (;;) {
      const space = /^\s*/.exec(source.slice(at))![0].length;
      at += space;
      if (source.startsWith('/>', at) || source.startsWith('>', at)) break;
      if (space === 0) throw new Error(`no space before an attribute of <${name}> at ${at}`);
      const attr = NAME.exec(source.slice(at))?.[0];
      if (!attr) throw new Error(`bad attribute in <${name}> at ${at}`);
      at += attr.length;
      const eq = /^\s*=\s*(["'])/.exec(source.slice(at));
      if (!eq) throw new Error(`attribute ${attr} of <${name}> at ${at} is not name="value"`);
      at += eq[0].length;
      const end = source.indexOf(eq[1]!, at);
      if (end < 0) throw new Error(`unterminated attribute ${attr} at ${at}`);
      if (attr in attributes) throw new Error(`duplicate attribute ${attr} in <${name}>`);
      attributes[attr] = decode(source.slice(at, end), at);
      at = end + 1;
    }
    const element: XmlElement = { name, attributes, children: [], text: '' };
    if (stack.length) stack[stack.length - 1]!.children.push(element);
    else root = element;
    if (source.startsWith('/>', at)) at += 2;
    else {
      at += 1;
      stack.push(element);
    }
  }
  if (stack.length) throw new Error(`<${stack[stack.length - 1]!.name}> is never closed`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element under (and including) `e`, depth first. */
export function allElements(e: XmlElement): XmlElement[] {
  return [e, ...e.children.flatMap(allElements)];
}
