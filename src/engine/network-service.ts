import type { ContainerService } from '../containers/service.js';
import { invalidArgument } from '../core/errors.js';
import type { EventBus } from '../events/bus.js';
import type {
  NetworkCreateRequest,
  NetworkFilters,
  NetworkManager,
  NetworkRecord,
} from '../network/index.js';
import { type BridgeContainerNetworking, networkEvent } from './container-networking.js';
import type { EndpointSettings } from './endpoint-settings.js';

/** POST /networks/create body (Docker API 1.45). */
export interface NetworkCreateBody {
  Name?: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  IPAM?: {
    Driver?: string;
    Config?: { Subnet?: string; IPRange?: string; Gateway?: string }[] | null;
  } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/**
 * Docker's network commands on the engine: the network manager for the
 * networks themselves, the container records for connect and disconnect.
 */
export class NetworkService {
  constructor(
    readonly manager: NetworkManager,
    private readonly networking: BridgeContainerNetworking,
    private readonly containers: () => ContainerService,
    private readonly events: EventBus,
  ) {}

  list(filters: NetworkFilters): NetworkRecord[] {
    return this.manager.list(filters);
  }

  get(ref: string): NetworkRecord {
    return this.manager.get(ref);
  }

  async create(body: NetworkCreateBody): Promise<NetworkRecord> {
    if (!body.Name) throw invalidArgument('network name is required'); // dockerd: "field Name is required"
    const driver = body.Driver || 'bridge';
    if (driver !== 'bridge' && driver !== 'host' && driver !== 'null')
      throw invalidArgument(`plugin "${driver}" not found`);
    if (body.IPAM?.Driver && body.IPAM.Driver !== 'default')
      throw invalidArgument(`IPAM driver "${body.IPAM.Driver}" not found`);
    if (body.EnableIPv6) throw invalidArgument('IPv6 networks are not supported by Berth yet');
    const configs = body.IPAM?.Config ?? [];
    if (configs.length > 1) throw invalidArgument('Berth supports one IPv4 subnet per network');
    const ipam = configs[0];
    const request: NetworkCreateRequest = {
      name: body.Name,
      driver,
      internal: body.Internal ?? false,
      attachable: body.Attachable ?? false,
      labels: body.Labels ?? {},
      options: body.Options ?? {},
      ...(ipam?.Subnet ? { subnet: ipam.Subnet } : {}),
      ...(ipam?.Gateway ? { gateway: ipam.Gateway } : {}),
      ...(ipam?.IPRange ? { ipRange: ipam.IPRange } : {}),
    };
    const network = await this.manager.create(request);
    this.event(network, 'create');
    return network;
  }

  async remove(ref: string): Promise<void> {
    const network = this.manager.get(ref);
    await this.manager.remove(network.id);
    this.event(network, 'destroy');
  }

  async prune(filters: NetworkFilters): Promise<string[]> {
    const before = this.manager.list({});
    const removed = await this.manager.prune(filters);
    for (const network of before) if (removed.includes(network.name)) this.event(network, 'destroy');
    // dockerd reports no space for networks.
    this.events.publish({ type: 'network', action: 'prune', id: '', attributes: { reclaimed: '0' } });
    return removed;
  }

  async connect(ref: string, containerRef: string, config: Partial<EndpointSettings>): Promise<void> {
    const network = this.manager.get(ref);
    const service = this.containers();
    const record = service.store.get(containerRef);
    await this.networking.connect(record, network, config ?? {});
    await service.store.save(record);
    this.event(network, 'connect', record.Id);
  }

  async disconnect(ref: string, containerRef: string): Promise<void> {
    const network = this.manager.get(ref);
    const service = this.containers();
    const record = service.store.get(containerRef);
    await this.networking.disconnect(record, network);
    await service.store.save(record);
    this.event(network, 'disconnect', record.Id);
  }

  private event(network: NetworkRecord, action: string, container?: string): void {
    this.events.publish(networkEvent(network, action, container));
  }
}
