using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Smp.Actors;

namespace Smp.Host.Cluster;

/// <summary>
/// The Akka.Cluster configuration of campaign nodes: remoting on the given address, the split-brain resolver and a failure
/// detector tuned to notice a dead node within seconds, and the campaign messages' serializer.
/// </summary>
/// <remarks>
/// Failure detection: heartbeats every second, a node is unreachable once 3 s of heartbeats are missing (φ accrual,
/// threshold 8) — about 4 s after it dies. The split-brain resolver keeps the side of the oldest node with role
/// <c>coordinator</c> (the coordinator, even alone: workers are interchangeable, the campaign's state is the
/// coordinator's) and downs the other side once the membership has been stable for <see cref="StableAfter"/>; a downed
/// node is then removed, and quarantined by remoting if it comes back with the same identity.
/// </remarks>
internal static class ClusterConfig
{
    /// <summary>The actor system's name: every node of a campaign must use it.</summary>
    public const string SystemName = "smp-stress";

    /// <summary>The coordinator's role (the singleton lives on the oldest node with it).</summary>
    public const string CoordinatorRole = "coordinator";

    /// <summary>The workers' role.</summary>
    public const string WorkerRole = "worker";

    /// <summary>The singleton manager's name (<c>/user/coordinator</c>).</summary>
    public const string CoordinatorName = "coordinator";

    /// <summary>How long the membership must be stable before the split-brain resolver downs unreachable nodes.</summary>
    public static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(3);

    /// <summary>Creates a node's actor system listening on <paramref name="host"/>:<paramref name="port"/>.</summary>
    /// <param name="role">The node's role.</param>
    /// <param name="host">The address other nodes reach it at (and it binds to).</param>
    /// <param name="port">The TCP port, 0 for any free one.</param>
    /// <param name="joinTimeout">How long to keep trying to join the seed node before the system ends itself, or null for ever.</param>
    public static ActorSystem Create(string role, string host, int port, TimeSpan? joinTimeout = null)
    {
        string join = joinTimeout is { } t ? string.Create(CultureInfo.InvariantCulture, $"{(long)t.TotalMilliseconds}ms") : "off";
        var config = ConfigurationFactory.ParseString($$"""
            akka {
              actor {
                provider = cluster
                serializers { smp-campaign = "Smp.Host.Cluster.ClusterMessageSerializer, smp" }
                serialization-bindings { "Smp.Host.Cluster.IClusterMessage, smp" = smp-campaign }
              }
              remote.dot-netty.tcp {
                hostname = "{{host}}"
                port = {{port}}
              }
              cluster {
                roles = [{{role}}]
                log-info = off
                shutdown-after-unsuccessful-join-seed-nodes = {{join}}
                run-coordinated-shutdown-when-down = on
                # Membership changes (joins, leaves) take a few gossip rounds: faster rounds let a campaign start and end in
                # under a second instead of several (traffic stays small: one gossip message per node per round).
                gossip-interval = 250ms
                leader-actions-interval = 250ms
                failure-detector {
                  heartbeat-interval = 1s
                  acceptable-heartbeat-pause = 3s
                  threshold = 8.0
                }
                split-brain-resolver {
                  active-strategy = keep-oldest
                  stable-after = {{(int)StableAfter.TotalSeconds}}s
                  keep-oldest { down-if-alone = off, role = "{{CoordinatorRole}}" }
                }
              }
              coordinated-shutdown.exit-clr = off
            }
            """)
            .WithFallback(SimulationConfig.Akka)
            .WithFallback(ClusterSingleton.DefaultConfig());
        try
        {
            return ActorSystem.Create(SystemName, config);
        }
        catch (Exception ex) when (BindFailure(ex) is { } socket)
        {
            throw new ClusterBindException(string.Create(CultureInfo.InvariantCulture, $"cannot listen on {host}:{port}: {socket.Message}"), ex);
        }
    }

    // The socket error under remoting's "Failed to bind" (nested in aggregate exceptions), or null for any other failure.
    private static SocketException? BindFailure(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is SocketException socket) return socket;
            if (ex is AggregateException { InnerExceptions.Count: > 0 } many && BindFailure(many.InnerExceptions[0]) is { } inner) return inner;
        }
        return null;
    }

    /// <summary>The address of the node listening at <paramref name="endpoint"/>.</summary>
    public static Address AddressOf(ClusterEndpoint endpoint) => new("akka.tcp", SystemName, endpoint.Host, endpoint.Port);

    /// <summary>The address this system listens at (its port when it asked for any free one).</summary>
    public static Address SelfAddress(ActorSystem system) => ((ExtendedActorSystem)system).Provider.DefaultAddress;

    /// <summary>A node's identity in messages and logs: its address and incarnation.</summary>
    public static string NodeKey(Akka.Cluster.UniqueAddress node) => string.Create(CultureInfo.InvariantCulture, $"{node.Address}#{node.Uid}");

    /// <summary>
    /// The local address this machine reaches <paramref name="endpoint"/> from (the route the kernel picks), for a worker
    /// that was not told which address to listen on; no packet is sent.
    /// </summary>
    public static string LocalAddressToward(ClusterEndpoint endpoint)
    {
        try
        {
            var target = IPAddress.TryParse(endpoint.Host, out var ip) ? ip : Dns.GetHostAddresses(endpoint.Host)[0];
            using var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(new IPEndPoint(target, Math.Max(1, endpoint.Port)));
            return ((IPEndPoint)socket.LocalEndPoint!).Address.ToString();
        }
        catch (SocketException)
        {
            return Dns.GetHostName();
        }
    }
}

/// <summary>A node could not listen on its address (the port is taken, or the address is not this machine's): bad input, not a bug.</summary>
/// <param name="message">One sentence naming the address and the reason.</param>
/// <param name="inner">Remoting's exception.</param>
internal sealed class ClusterBindException(string message, Exception inner) : Exception(message, inner);
