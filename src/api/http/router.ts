/**
 * Routes by method and path: static segments, `:param` segments and a final
 * `*` wildcard. Static segments win over params at each level, as in most
 * routers, so `/images/json` beats `/images/:name`.
 */
export interface Match<H> {
  handler: H;
  params: Record<string, string>;
}

interface Node<H> {
  statics: Map<string, Node<H>>;
  param?: { name: string; node: Node<H> };
  wildcard?: Map<string, H>;
  handlers: Map<string, H>;
}

const newNode = <H>(): Node<H> => ({ statics: new Map(), handlers: new Map() });

export class Router<H> {
  private readonly root: Node<H> = newNode();

  add(method: string, path: string, handler: H): void {
    let node = this.root;
    for (const segment of path.split('/').filter(Boolean)) {
      if (segment === '*') {
        node.wildcard ??= new Map();
        node.wildcard.set(method, handler);
        return;
      }
      if (segment.startsWith(':')) {
        node.param ??= { name: segment.slice(1), node: newNode() };
        node = node.param.node;
      } else {
        let next = node.statics.get(segment);
        if (!next) {
          next = newNode();
          node.statics.set(segment, next);
        }
        node = next;
      }
    }
    node.handlers.set(method, handler);
  }

  find(method: string, pathname: string): Match<H> | undefined {
    const segments = pathname.split('/').filter(Boolean);
    return this.walk(this.root, segments, 0, method, {});
  }

  private walk(
    node: Node<H>,
    segments: string[],
    i: number,
    method: string,
    params: Record<string, string>,
  ): Match<H> | undefined {
    if (i === segments.length) {
      const handler = node.handlers.get(method);
      if (handler) return { handler, params };
    } else {
      const segment = segments[i]!;
      const fixed = node.statics.get(segment);
      const hit = fixed && this.walk(fixed, segments, i + 1, method, params);
      if (hit) return hit;
      if (node.param) {
        const value = safeDecode(segment);
        const found = this.walk(node.param.node, segments, i + 1, method, {
          ...params,
          [node.param.name]: value,
        });
        if (found) return found;
      }
    }
    const wild = node.wildcard?.get(method);
    if (wild)
      return { handler: wild, params: { ...params, '*': segments.slice(i).map(safeDecode).join('/') } };
    return undefined;
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
