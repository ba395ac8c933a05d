import type { Volume, VolumeFilters, VolumeService } from '../../volumes/index.js';
import type { HttpApp } from '../http/app.js';
import { parseFilters, queryBool } from '../query.js';
import { sendJson } from '../server.js';

/** Docker's Volume object. Empty labels and options are null, as dockerd shows them. */
export function volumeView(volume: Volume): Record<string, unknown> {
  const orNull = (map: Record<string, string>) => (Object.keys(map).length > 0 ? map : null);
  return {
    CreatedAt: volume.createdAt,
    Driver: volume.driver,
    Labels: orNull(volume.labels),
    Mountpoint: volume.mountpoint,
    Name: volume.name,
    Options: orNull(volume.options),
    Scope: 'local',
  };
}

function volumeFilters(raw: Record<string, string[]>): VolumeFilters {
  const filters: VolumeFilters = {};
  if (raw.name) filters.name = raw.name;
  if (raw.label) filters.label = raw.label;
  if (raw.driver) filters.driver = raw.driver;
  const dangling = raw.dangling?.at(-1);
  if (dangling !== undefined) filters.dangling = dangling === 'true' || dangling === '1';
  return filters;
}

/** /volumes: list, create, inspect, remove, prune. */
export function registerVolumeRoutes(app: HttpApp, volumes: VolumeService): void {
  app.get('/volumes', (req, reply) => {
    const filters = volumeFilters(parseFilters(req.query.filters, ['dangling', 'driver', 'label', 'name']));
    return sendJson(reply, 200, { Volumes: volumes.list(filters).map(volumeView), Warnings: null });
  });

  app.post('/volumes/create', async (req, reply) => {
    const body = (req.body ?? {}) as {
      Name?: string;
      Driver?: string;
      DriverOpts?: Record<string, string> | null;
      Labels?: Record<string, string> | null;
    };
    const volume = await volumes.create({
      ...(body.Name ? { name: body.Name } : {}),
      ...(body.Driver ? { driver: body.Driver } : {}),
      options: body.DriverOpts ?? {},
      labels: body.Labels ?? {},
    });
    return sendJson(reply, 201, volumeView(volume));
  });

  app.post('/volumes/prune', async (req, reply) => {
    const raw = parseFilters(req.query.filters, ['all', 'label', 'label!']);
    const result = await volumes.prune({
      all: raw.all?.some((value) => queryBool(value)) ?? false,
      ...(raw.label ? { label: raw.label } : {}),
    });
    return sendJson(reply, 200, { VolumesDeleted: result.deleted, SpaceReclaimed: result.spaceReclaimed });
  });

  app.get('/volumes/:name', (req, reply) => sendJson(reply, 200, volumeView(volumes.get(req.params.name!))));

  app.delete('/volumes/:name', async (req, reply) => {
    await volumes.remove(req.params.name!, { force: queryBool(req.query.force) });
    return reply.code(204).send();
  });
}
