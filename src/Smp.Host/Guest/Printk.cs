using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Guest;

/// <summary>A polled 16550 console on COM1 and a tiny printk: strings, hex, decimal. All preserve every register.</summary>
internal sealed partial class Kernel64Builder
{
    private const ushort Com1 = 0x3F8;

    private void EmitPrintk()
    {
        // early_serial_init: 115200 8N1, FIFO on, no interrupts.
        Begin("early_serial_init");
        A.push(rax);
        A.push(rdx);
        OutByte(Com1 + 1, 0x00);
        OutByte(Com1 + 3, 0x80);
        OutByte(Com1 + 0, 0x01);
        OutByte(Com1 + 1, 0x00);
        OutByte(Com1 + 3, 0x03);
        OutByte(Com1 + 2, 0xC7);
        OutByte(Com1 + 4, 0x0B);
        A.pop(rdx);
        A.pop(rax);
        End();

        // early_serial_putc(DIL): wait (bounded) for THR empty (LSR bit 5), then write.
        Begin("early_serial_putc");
        A.push(rax);
        A.push(rcx);
        A.push(rdx);
        A.mov(ecx, 1_000_000);
        var wait = c.Local();
        var ready = c.Local();
        c.Bind(wait);
        A.mov(dx, (ushort)(Com1 + 5));
        A.@in(al, dx);
        A.test(al, 0x20);
        A.jnz(ready);
        A.pause();
        A.dec(ecx);
        A.jnz(wait);
        c.Bind(ready);
        A.mov(dx, Com1);
        A.mov(eax, edi);
        A.@out(dx, al);
        A.pop(rdx);
        A.pop(rcx);
        A.pop(rax);
        End();

        // printk(RDI = NUL-terminated string).
        Begin("printk");
        A.push(rsi);
        A.push(rdi);
        A.mov(rsi, rdi);
        var loop = c.Local();
        var done = c.Local();
        c.Bind(loop);
        A.movzx(edi, __byte_ptr[rsi]);
        A.test(edi, edi);
        A.jz(done);
        Call("early_serial_putc");
        A.inc(rsi);
        A.jmp(loop);
        c.Bind(done);
        A.pop(rdi);
        A.pop(rsi);
        End();

        // printk_hex(RDI = value, ESI = digits), lower case like Linux's %llx.
        Begin("printk_hex");
        A.push(rax);
        A.push(rcx);
        A.push(rdx);
        A.push(rdi);
        A.push(r8);
        A.mov(r8, rdi);
        A.mov(eax, esi);
        var next = c.Local();
        var digit = c.Local();
        var hexDone = c.Local();
        c.Bind(next);
        A.test(eax, eax);
        A.jz(hexDone);
        A.dec(eax);
        A.lea(ecx, __[rax * 4]);
        A.mov(rdx, r8);
        A.shr(rdx, cl);
        A.and(edx, 0xF);
        A.cmp(edx, 10);
        A.jb(digit);
        A.add(edx, 'a' - '0' - 10);
        c.Bind(digit);
        A.add(edx, '0');
        A.mov(edi, edx);
        Call("early_serial_putc");
        A.jmp(next);
        c.Bind(hexDone);
        A.pop(r8);
        A.pop(rdi);
        A.pop(rdx);
        A.pop(rcx);
        A.pop(rax);
        End();

        // printk_dec(RDI = unsigned value).
        Begin("printk_dec");
        A.push(rax);
        A.push(rcx);
        A.push(rdx);
        A.push(rdi);
        A.push(rbx);
        A.sub(rsp, 32);
        A.lea(rbx, __[rsp + 31]);
        A.mov(__byte_ptr[rbx], 0);
        A.mov(rax, rdi);
        A.mov(ecx, 10);
        var divide = c.Local();
        c.Bind(divide);
        A.xor(edx, edx);
        A.div(rcx);
        A.add(dl, (byte)'0');
        A.dec(rbx);
        A.mov(__byte_ptr[rbx], dl);
        A.test(rax, rax);
        A.jnz(divide);
        A.mov(rdi, rbx);
        Call("printk");
        A.add(rsp, 32);
        A.pop(rbx);
        A.pop(rdi);
        A.pop(rdx);
        A.pop(rcx);
        A.pop(rax);
        End();
    }
}
