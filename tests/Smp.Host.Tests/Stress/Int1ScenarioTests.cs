using Smp.Host.Guest;
using Smp.Host.Stress;

namespace Smp.Host.Tests.Stress;

/// <summary>The <c>int1-in-nmi</c> scenario: a debugger-planted INT1 (ICEBP) in <c>nmi_handle</c>, armed through <c>int1_request</c>.</summary>
public sealed class Int1ScenarioTests(StressCampaignFixture fixture) : IClassFixture<StressCampaignFixture>
{
    private const string Scenario = "int1-in-nmi";

    private static int TargetCpu(SeedResult r) => r.Plan.StartsWith("INT1 (int1_request) in nmi_handle on CPU1", StringComparison.Ordinal) ? 1 : 0;

    [Fact]
    public void Int1_request_raises_one_db_per_nmi_handler_pass_and_a_restore_clears_it()
    {
        var linux = fixture.Linux;
        // Seeds without the DR0 on do_debug: every do_nmi pass executes INT1 once, do_debug counts it.
        int checkedSeeds = 0;
        for (ulong seed = 1; seed <= 30 && checkedSeeds < 5; seed++)
        {
            var r = linux.Run(seed, Scenario);
            if (r.Plan.Contains("DR0", StringComparison.Ordinal)) continue;
            Assert.True(r.Finished);
            Assert.Empty(r.Violations);
            Assert.Empty(r.Expected);
            int cpu = TargetCpu(r);
            Assert.Equal(1UL, linux.ReadGuest(KernelImage.Int1RequestAddress(cpu)));
            ulong passes = linux.ReadGuest(KernelImage.NmiCountAddress(cpu));
            ulong dbs = linux.ReadGuest(KernelImage.DebugCountAddress(cpu));
            Assert.True(passes > 0);
            Assert.Equal(passes, dbs);
            // The INT1 #DB nested inside the NMI handler: depth 2 (NMI, then #DB) or deeper was reached.
            Assert.True(r.DeliveriesByDepth[2] > 0);
            checkedSeeds++;
        }
        Assert.Equal(5, checkedSeeds);

        // The request lives in snapshot-restored RAM: another scenario starts with it clear and raises no #DB.
        var burst = linux.Run(1, "nmi-burst");
        Assert.Empty(burst.Violations);
        for (int cpu = 0; cpu < linux.Cpus; cpu++)
        {
            Assert.Equal(0UL, linux.ReadGuest(KernelImage.Int1RequestAddress(cpu)));
            Assert.Equal(0UL, linux.ReadGuest(KernelImage.DebugCountAddress(cpu)));
        }
    }

    [Fact]
    public void Naive_handlers_clobber_when_an_nmi_follows_the_int1_db_inside_the_nmi_handler()
    {
        var results = Enumerable.Range(1, 20).Select(s => fixture.Naive.Run((ulong)s, Scenario)).ToList();
        Assert.Contains(results, r => r.Violations.Count > 0);
        // The INT1 #DB frame (IST3) interrupted nmi_handle right after the ICEBP, on top of the NMI frame.
        var clobbers = results.SelectMany(r => r.Violations).Where(v => v.Kind == StressViolationKind.IstClobber).ToList();
        Assert.NotEmpty(clobbers);
        Assert.Contains(clobbers, v => v.Details == "NMI on IST2 over live NMI frame"
            && v.Oops.Split('\n').Any(l => l.StartsWith(" #DB IST3 <#DB> frame ", StringComparison.Ordinal) && l.Contains("RIP nmi_handle+", StringComparison.Ordinal)));
    }

    [Fact]
    public void Linux_handlers_find_no_violation_over_50_seeds()
    {
        var results = Enumerable.Range(1, 50).Select(s => fixture.Linux.Run((ulong)s, Scenario)).ToList();
        Assert.All(results, r => Assert.Empty(r.Violations));
        Assert.All(results, r => Assert.True(r.Finished));
        Assert.All(results, r => Assert.StartsWith("INT1 (int1_request) in nmi_handle on CPU", r.Plan, StringComparison.Ordinal));
        // With DR0 on do_debug the INT1 #DB nests to the third #DB level: the DB2 hole's expected #DF.
        Assert.Contains(results, r => r.Plan.Contains("DR0 exec do_debug", StringComparison.Ordinal)
            && r.Expected.Any(e => e.Kind == StressViolationKind.DoubleFault && e.Oops.Contains("RIP nmi_handle+", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_seed_replays_identically()
    {
        foreach (var campaign in new[] { fixture.Naive, fixture.Linux })
        {
            var first = campaign.Run(7, Scenario);
            for (ulong s = 1; s <= 5; s++) campaign.Run(s, "all");
            var again = campaign.Run(7, Scenario);
            Assert.Equal(first.Plan, again.Plan);
            Assert.Equal(first.Instructions, again.Instructions);
            Assert.Equal(first.DeliveriesByDepth, again.DeliveriesByDepth);
            Assert.Equal(first.Console, again.Console);
            Assert.Equal(first.Violations, again.Violations);
            Assert.Equal(first.Expected, again.Expected);
        }
    }
}
