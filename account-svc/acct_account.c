/* acct_account: the Account record and its phone list. */
#include "acct_account.h"

#include <stdlib.h>
#include <string.h>

#include "cmn_db.h"
#include "cmn_id.h"

int acct_account_load(MDB_txn *txn, MDB_dbi dbi, const char *id_number,
                      Dvcid__Store__Account **out) {
    MDB_val v;
    *out = NULL;
    int rc = cmn_db_get(txn, dbi, id_number, strlen(id_number), &v);
    if (rc == CMN_DB_NOTFOUND)
        return 1;
    if (rc != CMN_DB_OK)
        return -1;
    *out = dvcid__store__account__unpack(NULL, v.mv_size, v.mv_data);
    return *out ? 0 : -1;
}

void acct_account_free(Dvcid__Store__Account **acc) {
    if (acc && *acc) {
        dvcid__store__account__free_unpacked(*acc, NULL);
        *acc = NULL;
    }
}

int acct_account_save(MDB_txn *txn, MDB_dbi dbi, const char *id_number,
                      const Dvcid__Store__Account *acc) {
    return cmn_db_put_msg(txn, dbi, id_number, strlen(id_number), acc, 0) == CMN_DB_OK ? 0 : -1;
}

int acct_account_create(MDB_txn *txn, MDB_dbi dbi, const char *id_number, const char *full_name,
                        const char *date_of_birth, const char *email, const char *e164,
                        const char *password_hash, uint64_t now) {
    return acct_account_create_put(txn, dbi, id_number, full_name, date_of_birth, email, e164,
                                   password_hash, now, CMN_DB_NOOVER);
}

int acct_account_create_put(MDB_txn *txn, MDB_dbi dbi, const char *id_number, const char *full_name,
                            const char *date_of_birth, const char *email, const char *e164,
                            const char *password_hash, uint64_t now, int how) {
    uint8_t account_id[CMN_ID_BYTES];
    cmn_id_make(account_id);
    Dvcid__Store__Account acc = DVCID__STORE__ACCOUNT__INIT;
    Dvcid__Store__Phone phone = DVCID__STORE__PHONE__INIT;
    Dvcid__Store__Phone *phones[1] = {&phone};
    phone.e164 = (char *)e164;
    phone.primary = 1;
    phone.added_ms = now;
    acc.account_id.data = account_id;
    acc.account_id.len = sizeof(account_id);
    acc.full_name = (char *)full_name;
    acc.date_of_birth = (char *)date_of_birth;
    acc.email = (char *)email;
    acc.n_phones = 1;
    acc.phones = phones;
    acc.password_hash = (char *)password_hash;
    acc.created_ms = now;
    return cmn_db_put_msg(txn, dbi, id_number, strlen(id_number), &acc, how);
}

int acct_account_set_lang(MDB_txn *txn, MDB_dbi dbi, const char *id_number, const char *lang) {
    if (!lang || !lang[0])
        return 0;
    Dvcid__Store__Account *acc = NULL;
    int rc = acct_account_load(txn, dbi, id_number, &acc);
    if (rc != 0 || strcmp(acc->lang, lang) == 0) {
        acct_account_free(&acc);
        return rc;
    }
    char *own = acc->lang;
    acc->lang = (char *)lang; /* borrowed while saving */
    rc = acct_account_save(txn, dbi, id_number, acc);
    acc->lang = own;
    acct_account_free(&acc);
    return rc;
}

const char *acct_account_primary(const Dvcid__Store__Account *acc) {
    for (size_t i = 0; i < acc->n_phones; i++)
        if (acc->phones[i]->primary)
            return acc->phones[i]->e164;
    return acc->n_phones ? acc->phones[0]->e164 : NULL;
}

int acct_account_phone_index(const Dvcid__Store__Account *acc, const char *e164) {
    for (size_t i = 0; i < acc->n_phones; i++)
        if (strcmp(acc->phones[i]->e164, e164) == 0)
            return (int)i;
    return -1;
}

int acct_account_save_with_phone(MDB_txn *txn, MDB_dbi dbi, const char *id_number,
                                 Dvcid__Store__Account *acc, const char *e164, int primary,
                                 uint64_t now) {
    /* A new list of pointers into acc plus one new phone; acc's own list is put back
     * before returning so it frees as unpacked. */
    Dvcid__Store__Phone **list = calloc(acc->n_phones + 1, sizeof(Dvcid__Store__Phone *));
    if (!list)
        return -1;
    Dvcid__Store__Phone added = DVCID__STORE__PHONE__INIT;
    int *was_primary = calloc(acc->n_phones + 1, sizeof(int));
    if (!was_primary) {
        free(list);
        return -1;
    }
    size_t n = 0;
    int found = 0;
    for (size_t i = 0; i < acc->n_phones; i++) {
        Dvcid__Store__Phone *p = acc->phones[i];
        was_primary[i] = p->primary;
        if (strcmp(p->e164, e164) == 0) {
            found = 1;
            if (primary)
                p->primary = 1;
            list[n++] = p;
        } else if (primary && p->primary) {
            continue; /* the lost primary phone leaves the account */
        } else {
            list[n++] = p;
        }
    }
    if (!found) {
        added.e164 = (char *)e164;
        added.primary = primary != 0;
        added.added_ms = now;
        list[n++] = &added;
    }
    Dvcid__Store__Phone **own = acc->phones;
    size_t own_n = acc->n_phones;
    acc->phones = list;
    acc->n_phones = n;
    int rc = acct_account_save(txn, dbi, id_number, acc);
    acc->phones = own;
    acc->n_phones = own_n;
    for (size_t i = 0; i < own_n; i++)
        own[i]->primary = was_primary[i] != 0;
    free(was_primary);
    free(list);
    return rc;
}
