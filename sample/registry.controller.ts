import { Controller, Get } from '@nestjs/common';
import { RegistryService, type Instance } from './registry.service';

@Controller('services')
export class RegistryController {
  constructor(private readonly registry: RegistryService) {}

  /** Every instance with its HTTP address, load and status. */
  @Get()
  list(): Instance[] {
    return this.registry.instances();
  }
}
