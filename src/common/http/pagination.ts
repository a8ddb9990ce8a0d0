import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_INT_ID, QueryInteger } from './int-id.decorator';

export class PageQueryDto {
  // bounded like the other query integers: a page of 30 digits made an offset the database refused (500)
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_INT_ID, default: 1 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_INT_ID)
  page: number = 1;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(200)
  pageSize: number = 50;
}

export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
}

/** The rows of one page, as repositories take it. */
export interface PageRequest {
  skip: number;
  take: number;
}

export function skipTake(query: PageQueryDto): PageRequest {
  return { skip: (query.page - 1) * query.pageSize, take: query.pageSize };
}

export function toPage<T>(items: T[], total: number, query: PageQueryDto): Page<T> {
  return { items, page: query.page, pageSize: query.pageSize, total };
}
