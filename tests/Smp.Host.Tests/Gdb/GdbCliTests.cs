using System.Net;
using System.Net.Sockets;
using Smp.Host.Tests.Support;

namespace Smp.Host.Tests.Gdb;

/// <summary>
/// The gdb options of <c>smp boot</c> and <c>smp run</c>: bad values get one sentence and exit code 2, a non-loopback
/// address needs --gdb-listen-any, a taken port is named; gdb's kill ends <c>smp run</c> with exit code 0, after a
/// debugger that disconnected mid-run and another that attached.
/// </summary>
public sealed class GdbCliTests
{
    [Theory]
    [InlineData("--gdb", "tcp:0.0.0.0:1234", "smp boot: --gdb tcp:0.0.0.0:1234 would let anyone who can reach 0.0.0.0 control the machine; give --gdb-listen-any to allow an address other than loopback.")]
    [InlineData("--gdb", "tcp:[::]:1234", "give --gdb-listen-any")]
    [InlineData("--gdb", "1234", "smp boot: --gdb expects tcp:HOST:PORT or tcp::PORT (for example tcp:127.0.0.1:1234), not '1234'.")]
    [InlineData("--gdb", "tcp::65536", "(PORT is 0..65535)")]
    [InlineData("--gdb", "tcp:gdb.example:1", "smp boot: --gdb host 'gdb.example' is not an IP address (use 127.0.0.1, ::1 or localhost).")]
    [InlineData("--wait-gdb", null, "smp boot: --wait-gdb needs --gdb tcp:HOST:PORT.")]
    [InlineData("--gdb-listen-any", null, "smp boot: --gdb-listen-any needs --gdb tcp:HOST:PORT.")]
    public void Bad_gdb_options_get_one_sentence_and_exit_code_2(string option, string? value, string sentence)
    {
        var result = Cli.Run(value is null ? ["boot", option] : ["boot", option, value]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Single(result.ErrLines);
        Assert.Contains(sentence, result.Err);
        Assert.Empty(result.Out);
    }

    [Theory]
    [InlineData("tcp::1234", "tcp:127.0.0.1:1234")]
    [InlineData("tcp:localhost:0", "tcp:127.0.0.1:0")]
    [InlineData("tcp:[::1]:9", "tcp:[::1]:9")]
    [InlineData("tcp:127.0.0.2:1", "tcp:127.0.0.2:1")]
    public void Endpoints_default_to_loopback_and_loopback_needs_no_listen_any(string text, string endpoint)
    {
        Assert.Equal(endpoint, Smp.Host.Gdb.GdbEndpoint.Parse(text, listenAny: false, out var error)?.ToString());
        Assert.Null(error);
    }

    [Fact]
    public void A_taken_port_gets_one_sentence_and_exit_code_2()
    {
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            int port = ((IPEndPoint)taken.LocalEndpoint).Port;
            var result = Cli.Run("boot", "--gdb", $"tcp:127.0.0.1:{port}");

            Assert.Equal(ExitCodes.Usage, result.ExitCode);
            Assert.Single(result.ErrLines);
            Assert.StartsWith($"smp boot: --gdb cannot listen on tcp:127.0.0.1:{port}: ", result.Err);
        }
        finally
        {
            taken.Stop();
        }
    }

    [Fact]
    public void Listen_any_allows_every_interface_and_a_run_without_a_debugger_is_undisturbed()
    {
        var result = Cli.Run("boot", "--cpus", "1", "--gdb", "tcp:0.0.0.0:0", "--gdb-listen-any");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Matches(@"^smp boot: gdb stub listening on tcp:0\.0\.0\.0:[1-9][0-9]*\n", result.Err);
        Assert.EndsWith("smp: Brought up 1 node, 1 CPU\n", result.Out);
    }

    [Theory]
    [InlineData("boot")]
    [InlineData("run")]
    public void Help_lists_the_gdb_options(string command)
    {
        var help = Cli.Run(command, "--help").Out;

        Assert.Contains("--gdb <tcp:HOST:PORT>", help);
        Assert.Contains("--wait-gdb", help);
        Assert.Contains("--gdb-listen-any", help);
    }

    [Fact]
    public void Gdb_kill_ends_smp_run_with_exit_code_0_after_a_debugger_left_mid_run_and_another_attached()
    {
        var dir = Directory.CreateTempSubdirectory("smp-gdb-cli-");
        try
        {
            string disk = Path.Combine(dir.FullName, "kernel.img");
            File.WriteAllBytes(disk, StubHost.Kernel.Disk);
            var (smp, port, err, stdout) = StubHost.StartCli("run", "--disk", disk, "--cpus", "2", "--wait-gdb", "--gdb", "tcp:127.0.0.1:0");
            try
            {
                using (var first = new RspClient(port))
                {
                    Assert.Equal("T05thread:1;core:0;", first.Request("?"));
                    first.Send("vCont;c");
                }

                // The machine ran on without a debugger; attaching stops it again, wherever it is.
                using var second = new RspClient(port);
                Assert.Matches("^T0[25]thread:[12];core:[01];$", second.Request("?"));
                Assert.Equal("OK", second.Request("vKill;1"));
            }
            finally
            {
                if (!smp.Wait(TimeSpan.FromSeconds(30))) StubHost.Kill(port);
            }

            Assert.Equal(ExitCodes.Ok, smp.GetAwaiter().GetResult());
            Assert.Contains("smp run: The debugger killed the run at ", err.Text);
            Assert.DoesNotContain("Brought up 1 node, 2 CPUs", stdout.ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
