using System.Text;
using Smp.Devices.Platform.Actors;
using Smp.Host.Telemetry;

namespace Smp.Host.Tests.Gdb;

/// <summary>
/// A hostile or broken client cannot take the simulator down: random packets, random bytes, bad checksums, truncated and
/// oversized packets get a reply or a closed connection, never an exception out of the run, and the boot still ends
/// with every CPU online once the client goes away.
/// </summary>
public sealed class GdbFuzzTests
{
    // Packet shapes a client could send, filled with random arguments (resuming and killing are left out: they end the fuzzing).
    private static readonly string[] Shapes =
    [
        "g", "G{hex}", "p{hex}", "P{hex}={hex}", "m{hex},{hex}", "M{hex},{hex}:{hex}", "X{hex},{hex}:{bin}", "Z{digit},{hex},{hex}",
        "z{digit},{hex},{hex}", "H{letter}{hex}", "Hg-1", "Hcp1.{hex}", "T{hex}", "qXfer:features:read:target.xml:{hex},{hex}",
        "qXfer:features:read:{bin}:0,10", "qThreadExtraInfo,{hex}", "qRcmd,{hex}", "qRcmd,{monitor}", "qSupported:{bin}", "qfThreadInfo",
        "qsThreadInfo", "qC", "qAttached", "?", "vCont?", "vCont;{letter}:{hex}x", "vMustReplyEmpty", "Q{bin}", "{bin}", "",
    ];

    private static readonly string[] Monitor = ["info cpus", "info gdt 9", "info idt", "info tss 1", "xp /4g 0x170000", "xp /9999q 1", "nmi 77", "trace on", "arch bogus", "help me"];

    private static string Fill(string shape, Random random)
    {
        var text = new StringBuilder();
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] != '{')
            {
                text.Append(shape[i]);
                continue;
            }

            int end = shape.IndexOf('}', i);
            string field = shape[(i + 1)..end];
            i = end;
            text.Append(field switch
            {
                "hex" => random.Next(4) == 0 ? "ffffffffffffffffff" : random.NextInt64(1L << 44).ToString("x12")[..random.Next(1, 12)],
                "digit" => random.Next(7).ToString(),
                "letter" => "gcsCSrtx"[random.Next(8)].ToString(),
                "monitor" => Convert.ToHexStringLower(Encoding.UTF8.GetBytes(Monitor[random.Next(Monitor.Length)])),
                _ => new string([.. Enumerable.Range(0, random.Next(0, 40)).Select(_ => (char)random.Next(0, 256))]),   // escaped by RspClient.Frame
            });
        }

        return text.ToString();
    }

    [Fact]
    public void Random_truncated_and_hostile_packets_get_replies_or_a_closed_connection_and_the_run_goes_on()
    {
        var random = new Random(1234);
        var (task, port, err, com1) = StubHost.Start(StubHost.Options(2, StubHost.WithStub(TraceOptions.None)));
        int replies = 0, resyncs = 0;
        var gdb = new RspClient(port);
        try
        {
            // One connection while the machine waits at the reset vector: every packet gets its reply.
            for (int i = 0; i < 600; i++)
            {
                string packet = Fill(Shapes[random.Next(Shapes.Length)], random);
                if (Resumes(packet)) continue;
                switch (random.Next(10))
                {
                    case 0:
                        gdb.SendRaw("$" + packet + "#zz");   // a bad checksum: '-' and nothing else
                        break;
                    case 1:
                    case 2:
                        // Noise between packets, or a packet cut short; "#zz" ends whatever the stub was reading with a
                        // bad checksum (never a packet), so the next request is read from its start.
                        if (random.Next(2) == 0) gdb.SendRaw([.. Enumerable.Range(0, random.Next(1, 64)).Select(_ => Noise(random))]);
                        else gdb.SendRaw(RspClient.Frame(packet)[..random.Next(1, RspClient.Frame(packet).Length)]);
                        gdb.SendRaw("#zz");
                        resyncs++;
                        break;
                    default:
                        try
                        {
                            gdb.Request(packet);
                        }
                        catch (IOException ex)
                        {
                            throw new IOException($"no reply to packet {i} '{packet}' (stub: {err.Text})", ex);
                        }

                        replies++;
                        break;
                }
            }

            Assert.Matches("^QC[12]$", gdb.Request("qC"));

            // A packet cut short by a dropped connection, then an oversized packet: each closes its connection, and the
            // stub takes the next one (the machine ran on between them, or waits) and answers it.
            gdb.SendRaw(RspClient.Frame("qXfer:features:read:target.xml:0,fff")[..10]);
            gdb.Dispose();
            gdb = new RspClient(port);
            gdb.SendRaw("$" + new string('m', 70_000));
            Assert.Null(gdb.TryReadReply());
            gdb.Dispose();
            gdb = new RspClient(port);
            Assert.Matches("^(T0[25]thread:[12];|W00)", gdb.Request("?"));
        }
        finally
        {
            gdb.Dispose();   // the machine, left without a debugger, runs on to its end
        }

        var result = task.GetAwaiter().GetResult();
        Assert.True(replies > 300, $"{replies} replies");
        Assert.True(resyncs > 50, $"{resyncs} resynchronisations");
        Assert.Equal(StopReason.AllIdle, result.Machine.Reason);
        Assert.Contains("Brought up 1 node, 2 CPUs", com1.ToString());
        Assert.DoesNotContain("internal error", err.Text);
    }

    // Packets that resume or end the run are left out: they would end the fuzzing.
    private static bool Resumes(string packet) =>
        packet.Length > 0 && (packet[0] is 'c' or 's' or 'C' or 'S' or 'D' or 'k'
            || packet.StartsWith("vCont;", StringComparison.Ordinal) || packet.StartsWith("vKill", StringComparison.Ordinal));

    // A byte of noise between packets: anything but '$' (which starts a packet), '-' (which asks for the last reply
    // again, a reply the client does not expect) and Ctrl-C.
    private static byte Noise(Random random)
    {
        while (true)
        {
            byte b = (byte)random.Next(256);
            if (b is not ((byte)'$' or (byte)'-' or 3)) return b;
        }
    }
}
