/**
 * The resources a token opens, for its admin page: those where it is assigned as "token with user", and those
 * where its owner has a plain "user" assignment, which accepts any of the owner's usable tokens (accepted-tokens.ts).
 */
import { AppError } from '../errors';
import { readTokenResources } from './repo';

export interface TokenResource {
  id: string;
  name: string;
  /** 'token': assigned as this very token; 'user': through its owner's plain assignment. */
  via: 'token' | 'user';
}

export async function tokenResources(db: D1Database, tokenId: string): Promise<TokenResource[]> {
  const rows = await readTokenResources(db, tokenId);
  if (!rows) throw new AppError('TOKEN_NOT_FOUND');
  return rows;
}
