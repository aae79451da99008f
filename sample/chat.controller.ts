import { Controller, Get, Header } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const PAGE = readFileSync(join(__dirname, 'chat.html'), 'utf8');

/** `GET /chat`: the chat page; its script comes from this server's own /socket.io/socket.io.js. */
@Controller('chat')
export class ChatController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  page(): string {
    return PAGE;
  }
}
