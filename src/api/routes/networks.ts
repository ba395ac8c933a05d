import type { EndpointSettings } from '../../engine/endpoint-settings.js';
import type { NetworkCreateBody, NetworkService } from '../../engine/network-service.js';
import type { HttpApp } from '../http/app.js';
import { networkFilters, networkView } from '../network-shapes.js';
import { parseFilters } from '../query.js';
import { sendJson } from '../server.js';

const LIST_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'];

/** /networks: list, inspect, create, connect, disconnect, remove, prune. */
export function registerNetworkRoutes(app: HttpApp, networks: NetworkService): void {
  app.get('/networks', (req, reply) => {
    const filters = networkFilters(parseFilters(req.query.filters, LIST_FILTERS));
    return sendJson(
      reply,
      200,
      networks.list(filters).map((network) => networkView(network, undefined)),
    );
  });

  app.get('/networks/:id', (req, reply) => {
    const network = networks.get(req.params.id!);
    return sendJson(reply, 200, networkView(network, networks.manager.endpointsOfNetwork(network.id)));
  });

  app.post('/networks/create', async (req, reply) => {
    const network = await networks.create((req.body ?? {}) as NetworkCreateBody);
    return sendJson(reply, 201, { Id: network.id, Warning: '' });
  });

  app.delete('/networks/:id', async (req, reply) => {
    await networks.remove(req.params.id!);
    return reply.code(204).send();
  });

  app.post('/networks/:id/connect', async (req, reply) => {
    const body = (req.body ?? {}) as {
      Container?: string;
      EndpointConfig?: Partial<EndpointSettings> | null;
    };
    await networks.connect(req.params.id!, body.Container ?? '', body.EndpointConfig ?? {});
    return reply.code(200).send();
  });

  app.post('/networks/:id/disconnect', async (req, reply) => {
    const body = (req.body ?? {}) as { Container?: string };
    await networks.disconnect(req.params.id!, body.Container ?? '');
    return reply.code(200).send();
  });

  app.post('/networks/prune', async (req, reply) => {
    const filters = networkFilters(parseFilters(req.query.filters, ['label', 'until']));
    return sendJson(reply, 200, { NetworksDeleted: await networks.prune(filters) });
  });
}
