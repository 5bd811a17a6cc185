using System.Net;
using System.Net.Sockets;
using Smp.Host.Tests.Support;

namespace Smp.Host.Tests.Cluster;

/// <summary>An address a campaign node cannot listen on is bad input: one sentence, exit code 2, nothing left on disk.</summary>
public sealed class ClusterAddressTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("smp-cluster-address-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_coordinator_port_in_use_is_one_sentence_and_leaves_no_journal()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        string report = Path.Combine(_dir, "r.json");

        var r = Cli.Run("stress", "--seeds", "0..9", "--cluster", $"127.0.0.1:{port}", "--report", report);

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Equal([$"smp stress: --cluster cannot listen on 127.0.0.1:{port}: Address already in use."], r.ErrLines);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void A_worker_host_that_is_not_this_machine_s_is_one_sentence()
    {
        // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a host.
        var r = Cli.Run("worker", "--join", "127.0.0.1:9", "--host", "192.0.2.1", "--wait", "1");

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Equal(["smp worker: cannot listen on 192.0.2.1:0: Cannot assign requested address (give --host an address of this machine)."], r.ErrLines);
    }
}
