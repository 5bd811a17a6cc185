using Smp.Host.Stress;

namespace Smp.Host.Tests.Stress;

public class BacktraceTests
{
    private static readonly SymbolTable Symbols = new([
        new SymbolInfo("func_a", 0x40_0000, 0x40),
        new SymbolInfo("func_b", 0x40_0040, 0x80),
        new SymbolInfo("func_c", 0x40_00C0, 0x100),
        new SymbolInfo("stale_x", 0x40_0200, 0x20),
        new SymbolInfo("nmi_handler", 0x40_1000, 0x60),
    ]);

    private const ulong TaskStart = 0x1F_C000, TaskEnd = 0x20_0000, NmiStart = 0x1F_3000, NmiEnd = 0x1F_4000;

    private static readonly StackRegion[] Stacks = [new("NMI", NmiStart, NmiEnd), new("TASK", TaskStart, TaskEnd)];

    [Fact]
    public void Symbol_addresses_are_formatted_as_symbol_offset_size()
    {
        Assert.Equal("func_b+0x22/0x80", Symbols.Format(0x40_0062));
        Assert.Equal("func_a+0x0/0x40", Symbols.Format(0x40_0000));
        Assert.False(Symbols.IsText(0x40_0220));
        Assert.Equal("0x0000000000400220", Symbols.Format(0x40_0220));
        var kernel = SymbolTable.FromKernel([new Smp.Host.Guest.KernelSymbol("start_kernel", 0x10_0000, 0x80)]);
        Assert.Equal("start_kernel+0x7f/0x80", kernel.Format(0x10_007F));
    }

    // A task stack with a three-frame frame-pointer chain and stale return addresses between the frames.
    private static ulong BuildTaskStack(StressRig rig, ulong rsp)
    {
        var m = rig.Memory;
        ulong bp0 = rsp + 0x10, bp1 = rsp + 0x30, bp2 = rsp + 0x48;
        m.Write(rsp + 0x00, 8, 0x40_0205);          // stale: stale_x+0x5
        m.Write(rsp + 0x08, 8, 0x1234);             // not text
        m.Write(bp0, 8, bp1);
        m.Write(bp0 + 8, 8, 0x40_0010);             // chain: func_a+0x10
        m.Write(rsp + 0x20, 8, 0x40_00F3);          // stale: func_c+0x33
        m.Write(rsp + 0x28, 8, 0xDEAD);
        m.Write(bp1, 8, bp2);
        m.Write(bp1 + 8, 8, 0x40_0062);             // chain: func_b+0x22
        m.Write(rsp + 0x40, 8, 0x40_0003);          // stale: func_a+0x3
        m.Write(bp2, 8, 0);
        m.Write(bp2 + 8, 8, 0x40_00C7);             // chain: func_c+0x7
        m.Write(rsp + 0x58, 8, 0x40_0210);          // stale, past the end of the chain: stale_x+0x10
        return bp0;
    }

    [Fact]
    public void Frame_pointer_chain_entries_are_plain_and_stale_return_addresses_get_a_question_mark()
    {
        using var rig = new StressRig(null);
        const ulong rsp = 0x1F_F000;
        ulong bp0 = BuildTaskStack(rig, rsp);
        var trace = Backtrace.Scan(new GuestMemoryView(rig.Cpu), Symbols, Stacks, rsp, bp0);
        Assert.Equal(
            "Call Trace:\n" +
            " <TASK>\n" +
            " ? stale_x+0x5/0x20\n" +
            " func_a+0x10/0x40\n" +
            " ? func_c+0x33/0x100\n" +
            " func_b+0x22/0x80\n" +
            " ? func_a+0x3/0x40\n" +
            " func_c+0x7/0x100\n" +
            " ? stale_x+0x10/0x20\n" +
            " </TASK>\n", trace.Format(Symbols));
        Assert.Equal([false, true, false, true, false, true, false], trace.Entries.Select(e => e.Reliable));
    }

    [Fact]
    public void Trace_starting_on_an_ist_stack_is_labelled_and_follows_the_hardware_frame_to_the_task_stack()
    {
        using var rig = new StressRig(null);
        var m = rig.Memory;
        const ulong taskRsp = 0x1F_F000;
        ulong bp0 = BuildTaskStack(rig, taskRsp);
        // The NMI's hardware frame on top of the NMI stack: RIP (interrupted in func_b), CS, RFLAGS, RSP, SS.
        const ulong frame = NmiEnd - 40;
        m.Write(frame, 8, 0x40_0070);
        m.Write(frame + 8, 8, 0x10);
        m.Write(frame + 16, 8, 0x46);
        m.Write(frame + 24, 8, taskRsp);
        m.Write(frame + 32, 8, 0x18);
        // The handler: push rbp (the interrupted bp0), call into func_a: return address nmi_handler+0x9, a stale word.
        ulong nbp = frame - 8;
        m.Write(nbp, 8, bp0);
        m.Write(nbp - 8, 8, 0x40_0033);             // stale: func_a+0x33
        ulong nmiRsp = nbp - 8;
        // A frame inside the handler: [fp] = nbp, [fp+8] = nmi_handler+0x9.
        ulong fp = nmiRsp - 16;
        m.Write(fp, 8, nbp);
        m.Write(fp + 8, 8, 0x40_1009);
        var trace = Backtrace.Scan(new GuestMemoryView(rig.Cpu), Symbols, Stacks, fp, fp);
        Assert.Equal(
            "Call Trace:\n" +
            " <NMI>\n" +
            " nmi_handler+0x9/0x60\n" +
            " ? func_a+0x33/0x40\n" +
            " func_b+0x30/0x80\n" +
            " </NMI>\n" +
            " <TASK>\n" +
            " ? stale_x+0x5/0x20\n" +
            " func_a+0x10/0x40\n" +
            " ? func_c+0x33/0x100\n" +
            " func_b+0x22/0x80\n" +
            " ? func_a+0x3/0x40\n" +
            " func_c+0x7/0x100\n" +
            " ? stale_x+0x10/0x20\n" +
            " </TASK>\n", trace.Format(Symbols));
        Assert.Equal(["NMI", "TASK"], trace.StacksWalked);
    }
}
