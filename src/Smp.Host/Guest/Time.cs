using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Guest;

/// <summary>arch/x86/kernel/tsc.c: TSC calibration against PIT channel 2 (gate and OUT on port 0x61), udelay.</summary>
internal sealed partial class Kernel64Builder
{
    /// <summary>PIT input clock (Hz).</summary>
    private const int PitTickRate = 1193182;

    /// <summary>Calibration window (ms).</summary>
    private const int CalibrateMs = 10;

    private void EmitTime()
    {
        Begin("time_init");
        Call("tsc_init");
        End();

        Begin("tsc_init");
        A.push(rbx);
        Call("pit_calibrate_tsc");
        var calibrated = c.Local();
        A.test(rax, rax);
        A.jnz(calibrated);
        Print("tsc: Unable to calibrate against PIT; assuming 1000 MHz\n");
        A.mov(eax, 1_000_000);
        c.Bind(calibrated);
        A.mov(__qword_ptr[KernelLayout.TscKhz], rax);
        A.mov(rbx, rax);
        Print("tsc: Fast TSC calibration using PIT\ntsc: Detected ");
        A.mov(rax, rbx);
        A.xor(edx, edx);
        A.mov(ecx, 1000);
        A.div(rcx);
        A.mov(rbx, rdx);
        PrintDec(rax);
        Print(".");
        A.mov(rax, rbx);
        A.xor(edx, edx);
        A.mov(ecx, 100);
        A.div(rcx);
        A.lea(edi, __[rax + '0']);
        Call("early_serial_putc");
        A.mov(rax, rdx);
        A.xor(edx, edx);
        A.mov(ecx, 10);
        A.div(rcx);
        A.lea(edi, __[rax + '0']);
        Call("early_serial_putc");
        A.lea(edi, __[rdx + '0']);
        Call("early_serial_putc");
        Print(" MHz processor\n");
        A.pop(rbx);
        End();

        // pit_calibrate_tsc -> RAX = TSC kHz, 0 when the PIT never fires.
        Begin("pit_calibrate_tsc");
        A.push(rbx);
        A.@in(al, 0x61);
        A.and(al, 0xFD); // speaker off
        A.or(al, 0x01); // gate channel 2 high
        A.@out(0x61, al);
        A.mov(al, 0xB0); // channel 2, lobyte/hibyte, mode 0, binary
        A.@out(0x43, al);
        const int latch = PitTickRate / (1000 / CalibrateMs);
        A.mov(al, (byte)(latch & 0xFF));
        A.@out(0x42, al);
        A.mov(al, (byte)(latch >> 8));
        A.@out(0x42, al);
        ReadTsc();
        A.mov(rbx, rax);
        A.mov(ecx, 50_000_000);
        var poll = c.Local();
        var expired = c.Local();
        var failed = c.Local();
        var done = c.Local();
        c.Bind(poll);
        A.@in(al, 0x61);
        A.test(al, 0x20);
        A.jnz(expired);
        A.dec(ecx);
        A.jnz(poll);
        A.jmp(failed);
        c.Bind(expired);
        ReadTsc();
        A.sub(rax, rbx);
        A.xor(edx, edx);
        A.mov(ecx, CalibrateMs);
        A.div(rcx);
        A.jmp(done);
        c.Bind(failed);
        A.xor(eax, eax);
        c.Bind(done);
        A.pop(rbx);
        End();

        // udelay(RDI = microseconds): spin on the calibrated TSC (delay_tsc). Preserves all registers.
        Begin("udelay");
        A.push(rax);
        A.push(rbx);
        A.push(rcx);
        A.push(rdx);
        A.mov(rax, rdi);
        A.mul(__qword_ptr[KernelLayout.TscKhz]);
        A.mov(ecx, 1000);
        A.div(rcx);
        A.mov(rbx, rax);
        ReadTsc();
        A.mov(rcx, rax);
        var spin = c.Local();
        c.Bind(spin);
        A.pause();
        ReadTsc();
        A.sub(rax, rcx);
        A.cmp(rax, rbx);
        A.jb(spin);
        A.pop(rdx);
        A.pop(rcx);
        A.pop(rbx);
        A.pop(rax);
        End();
    }
}
